"""One source of truth for rules: metadata from the pages in `rules/`, code from `lint/checks/`.

A rule exists when its page exists (and `rules/index.json`, generated from the
pages, lists it); its check function registers under the same code. Keeping
the level, name and summary in the page means the docs, the `dlint rules`
table and SARIF's `rules[]` can never disagree with each other.

`rules/index.json` gathers the pages' front matter so that a `dlint check`
reads one small JSON file instead of parsing 78 TOML blocks (about 10 ms of a
run, with tomllib's import). It is generated, never edited:
`python -m dlint.lint.registry` rewrites it, and a test fails when it and the
pages disagree.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from dlint.lint.finding import Level, Violation

if TYPE_CHECKING:
    from pathlib import Path

    from dlint.lint.context import Context

CheckFn = Callable[["Context"], Iterator[Violation]]

SHELLCHECK = "shellcheck"  # the SC codes' source, as a finding names it (lint/shellcheck.py runs it, when asked)
# Every code ShellCheck may report: parser (SC1xxx), checks (SC2xxx), portability (SC3xxx). Config and flags
# select and ignore them like rule codes, whether or not ShellCheck runs: shellcheck.py is imported only then.
SHELLCHECK_CODES = frozenset(f"SC{n}" for n in range(1000, 4000))

_CHECKS: dict[str, CheckFn] = {}


def rule(code: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function for the rule page `rules/<code>.md`."""

    def register(fn: CheckFn) -> CheckFn:
        if code in _CHECKS:
            raise RuntimeError(f"rule {code} registered twice")
        _CHECKS[code] = fn
        return fn

    return register


class Rule(NamedTuple):
    code: str
    name: str
    level: Level
    summary: str
    fixable: bool
    default: bool  # selected unless the user opts in
    check: CheckFn | None  # None only for rules the engine reports itself (DL1000)
    # Settings a rule reads from `[tool.dlint.rules.<CODE>]`: name -> type, one of
    # "str", "bool", "size" (bytes, 0 or more), "list[str]", "dict[str,str]" (front matter `options = {...}`).
    options: dict[str, str]
    # Other names the rule is known by (BuildKit's check names, Trivy's DS and Checkov's CKV ids):
    # accepted wherever a code is.
    aliases: tuple[str, ...]

    @property
    def buildkit(self) -> bool:
        """A BuildKit build check, which `# check=` skips and escalates; its name is all letters
        (`JSONArgsRecommended`), unlike Trivy's `DS013` or Checkov's `CKV_DOCKER_9`."""
        return any(alias.isalpha() for alias in self.aliases)

    @property
    def page(self) -> Path:
        from pathlib import Path  # pages are read by `explain` and SARIF, not by `check`

        return Path(rules_dir(), f"{self.code}.md")

    def text(self) -> str:
        """The page without its front matter: what `dlint explain` prints."""
        return _read_page(self.page)[1].lstrip("\n")

    def section(self, title: str) -> str:
        """One `## title` section of the page (for SARIF help texts)."""
        body = self.text()
        marker = f"\n## {title}\n"
        start = body.find(marker)
        if start < 0:
            return ""
        rest = body[start + len(marker):]
        end = rest.find("\n## ")
        return (rest if end < 0 else rest[:end]).strip()

    def examples(self, title: str) -> list[str]:
        """The ```dockerfile blocks of the `## Bad` or `## Good` section: the suite runs them."""
        blocks = re.findall(r"^```dockerfile\n(.*?)^```", self.section(title), flags=re.S | re.M)
        return blocks


@cache
def rules_dir() -> str:
    """The shipped copy in a wheel, or the repository's `rules/` in a checkout."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    shipped = os.path.join(here, "_rules")
    return shipped if os.path.isdir(shipped) else os.path.join(os.path.dirname(here), "rules")


def _read_page(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(front matter as TOML text, the rest) of a rule page."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not text.startswith("+++\n"):
        raise ValueError("rule page must start with a +++ TOML front matter block")
    end = text.index("\n+++\n", 4)
    return text[4:end], text[end + 5:]


def index_from_pages(directory: str) -> list[dict]:
    """The front matter of every page, in code order: what `rules/index.json` must hold."""
    import tomllib  # only to build or check the index, never by `check`

    pages = [name for name in os.listdir(directory) if name.endswith(".md") and name != "README.md"]
    metas = [tomllib.loads(_read_page(os.path.join(directory, name))[0]) for name in pages]
    return sorted(metas, key=lambda meta: meta["code"])


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule by code, in code order."""
    _import_checks()
    with open(os.path.join(rules_dir(), "index.json"), encoding="utf-8") as fh:
        index = json.load(fh)
    rules: dict[str, Rule] = {}
    for meta in index:
        code = meta["code"]
        rules[code] = Rule(
            code=code,
            name=meta["name"],
            level=Level.parse(meta["level"]),
            summary=meta["summary"],
            fixable=bool(meta.get("fixable", False)),
            default=bool(meta.get("default", True)),
            check=_CHECKS.get(code),
            options=dict(meta.get("options", {})),
            aliases=tuple(meta.get("aliases", ())),
        )
    missing = set(_CHECKS) - set(rules)
    if missing:
        raise RuntimeError(
            f"checks not in rules/index.json: {sorted(missing)} (a page is missing, or the index is stale:"
            " `python -m dlint.lint.registry`)"
        )
    return rules


@cache
def _by_alias() -> dict[str, str]:
    return {alias.upper(): r.code for r in all_rules().values() for alias in r.aliases}


def canonical(code: str) -> str:
    """The rule code for a code or an alias, upper-cased (BuildKit's `MaintainerDeprecated` is DL4000)."""
    code = code.strip().upper()
    return _by_alias().get(code, code)


def _import_checks() -> None:
    import dlint.lint.checks as pkg

    for name in sorted(os.listdir(pkg.__path__[0])):  # pkgutil would cost a millisecond more to import
        if name.endswith(".py") and name != "__init__.py":
            importlib.import_module(f"{pkg.__name__}.{name[:-3]}")


if __name__ == "__main__":
    target = os.path.join(rules_dir(), "index.json")
    with open(target, "w", encoding="utf-8") as out:
        out.write(json.dumps(index_from_pages(rules_dir()), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {target}", file=sys.stderr)
