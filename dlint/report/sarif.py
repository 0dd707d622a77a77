"""SARIF 2.1.0 for code-scanning services (GitHub, Azure DevOps, IDE viewers).

Built from plain dicts: the one object-model library on PyPI (`sarif-om`) has
not been released since 2019, needs `attrs` plus a custom serialiser to turn
its objects into SARIF's camelCase JSON, and would add import time to every
`dlint check` for a document this small.

What hadolint's SARIF lacks and this adds: `tool.driver.rules[]` with each
rule's descriptions and help from its `rules/` page (so viewers show more than
a bare code), end positions, `partialFingerprints` that survive edits above
the finding, and `suppressions` for findings silenced by an inline pragma.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from dlint import DISTRIBUTION, __version__
from dlint.lint.finding import Finding, Level
from dlint.lint.registry import Rule, all_rules
from dlint.report.document import SLOT, JsonArray, whole
from dlint.report.paths import STDIN, path_uri, uri_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "dlint/v1"
LEVELS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note", Level.STYLE: "note"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """Results as each file is done; the rule table (rules in the order first found, which `ruleIndex`
    counts in) once the last file is."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._results = JsonArray(_document({}, SLOT))

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        return self._results.items(_result(f, self._index.setdefault(f.code, len(self._index))) for f in findings)

    def finish(self) -> tuple[str, str]:
        rules = all_rules()
        driver = {
            "name": "dlint",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_descriptor(rules[code]) if code in rules else _shellcheck_descriptor(code) for code in self._index],
        }
        home = home_page()
        if home:
            driver["informationUri"] = home
        return self._results.frame(_document(driver, SLOT))


def _document(driver: dict, results) -> dict:
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",  # dlint counts characters, not UTF-16 units
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _descriptor(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.section("What it does") or rule.summary},
        "defaultConfiguration": {"level": LEVELS[rule.level]},
        "help": {"text": rule.section("Why is this bad?") or rule.summary, "markdown": rule.text()},
        "properties": {"dlint-level": str(rule.level), "fixable": rule.fixable},
    }


def _shellcheck_descriptor(code: str) -> dict:
    """An SC code has no page here: ShellCheck's wiki explains each one."""
    return {
        "id": code,
        "name": "shellcheck",
        "shortDescription": {"text": f"ShellCheck {code}"},
        "helpUri": f"https://www.shellcheck.net/wiki/{code}",
    }


def _result(f: Finding, rule_index: int) -> dict:
    result = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.level],
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(f.file),
                    "region": {
                        "startLine": f.line,
                        "startColumn": f.column,
                        "endLine": f.end_line,
                        "endColumn": f.end_column,
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: f.fingerprint},
        "properties": {"dlint-level": str(f.level)},
    }
    if f.suppressed is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": f.suppressed}]
    return result


def _artifact(path: str) -> dict:
    shown = uri_path(path)
    if path == STDIN or not (shown.startswith("/") or shown == ".." or shown.startswith("../")):
        return {"uri": path_uri(path), "uriBaseId": SRCROOT}
    return {"uri": Path(path).resolve().as_uri()}


def home_page() -> str | None:
    """The project URL from the installed package's metadata, when it declares one."""
    try:
        meta = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    urls = [u.split(",", 1)[-1].strip() for u in meta.get_all("Project-URL") or []]
    return meta.get("Home-page") or (urls[0] if urls else None)
