"""SonarQube's generic external issues report (`sonar.externalIssuesReportPaths`), the format of
SonarQube Server 10.3+ and SonarQube Cloud: a `rules` array and an `issues` array.

Each rule used says how it hurts (`impacts`) at the level of its first finding
(config may change levels): error -> HIGH, warning -> MEDIUM, info and style ->
LOW; a parse error is a RELIABILITY issue, everything else MAINTAINABILITY. SonarQube's columns
are 0-based UTF-16 units (Java's, an astral character is two) and a range must not be empty, so an
empty span is reported as its line alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.lint.registry import all_rules
from dlint.report.document import SLOT, JsonArray, whole
from dlint.report.paths import shown_path

ENGINE = "dlint"
IMPACT = {Level.ERROR: "HIGH", Level.WARNING: "MEDIUM", Level.INFO: "LOW", Level.STYLE: "LOW"}
ATTRIBUTES = {"DL1000": ("COMPLETE", "RELIABILITY")}  # code -> (cleanCodeAttribute, softwareQuality)
DEFAULT_ATTRIBUTE = ("CONVENTIONAL", "MAINTAINABILITY")


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """Issues as each file is done; the rules (by code) once the last file is."""

    def __init__(self) -> None:
        self._used: dict[str, Finding] = {}  # each rule's first finding
        self._issues = JsonArray({"rules": [], "issues": SLOT})

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        for f in findings:
            self._used.setdefault(f.code, f)
        return self._issues.items(_issue(f) for f in findings)

    def finish(self) -> tuple[str, str]:
        rules = all_rules()
        used = sorted(self._used.items())
        return self._issues.frame({"rules": [_rule(code, f, rules.get(code)) for code, f in used], "issues": SLOT})


def _rule(code: str, first: Finding, rule) -> dict:
    attribute, quality = ATTRIBUTES.get(code, DEFAULT_ATTRIBUTE)
    return {
        "id": code,
        "name": f"{code} {first.name}",
        "description": rule.summary if rule else f"ShellCheck {code}",
        "engineId": ENGINE,
        "cleanCodeAttribute": attribute,
        "impacts": [{"softwareQuality": quality, "severity": IMPACT[first.level]}],
    }


def _issue(f: Finding) -> dict:
    text_range: dict[str, int] = {"startLine": f.line}
    if (f.end_line, f.end_column) > (f.line, f.column):
        column, end_column = f.utf16_columns or (f.column, f.end_column)  # Java's columns: UTF-16 units
        text_range.update(startColumn=column - 1, endLine=f.end_line, endColumn=end_column - 1)
    return {
        "ruleId": f.code,
        "primaryLocation": {"message": f.message, "filePath": shown_path(f.file), "textRange": text_range},
    }
