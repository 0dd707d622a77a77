"""One source of truth for rules: metadata from the pages in `rules/`, code from `lint/checks/`.

A rule exists when its page exists; its check function registers under the
same code. Keeping the level, name and summary in the page means the docs, the
`dlint rules` table and SARIF's `rules[]` can never disagree with each other.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from dlint.lint.finding import Level, Violation

if TYPE_CHECKING:
    from dlint.lint.context import Context

CheckFn = Callable[["Context"], Iterator[Violation]]

_CHECKS: dict[str, CheckFn] = {}


def rule(code: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function for the rule page `rules/<code>.md`."""

    def register(fn: CheckFn) -> CheckFn:
        if code in _CHECKS:
            raise RuntimeError(f"rule {code} registered twice")
        _CHECKS[code] = fn
        return fn

    return register


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    level: Level
    summary: str
    fixable: bool
    default: bool  # selected unless the user opts in
    page: Path
    check: CheckFn | None  # None only for rules the engine reports itself (DL1000)
    # Settings a rule reads from `[tool.dlint.rules.<CODE>]`: name -> type, one of
    # "str", "bool", "int", "list[str]", "dict[str,str]" (front matter `options = {...}`).
    options: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def text(self) -> str:
        """The page without its front matter: what `dlint explain` prints."""
        return _split_page(self.page.read_text(encoding="utf-8"))[1]

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


def rules_dir() -> Path:
    """The shipped copy in a wheel, or the repository's `rules/` in a checkout."""
    here = Path(__file__).resolve().parents[1]
    shipped = here / "_rules"
    return shipped if shipped.is_dir() else here.parent / "rules"


def _split_page(text: str) -> tuple[dict, str]:
    if not text.startswith("+++\n"):
        raise ValueError("rule page must start with a +++ TOML front matter block")
    end = text.index("\n+++\n", 4)
    return tomllib.loads(text[4:end]), text[end + 5:].lstrip("\n")


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule by code, in code order."""
    _import_checks()
    rules: dict[str, Rule] = {}
    for page in sorted(rules_dir().glob("*.md")):
        if page.name == "README.md":
            continue
        meta, _ = _split_page(page.read_text(encoding="utf-8"))
        code = meta["code"]
        rules[code] = Rule(
            code=code,
            name=meta["name"],
            level=Level.parse(meta["level"]),
            summary=meta["summary"],
            fixable=bool(meta.get("fixable", False)),
            default=bool(meta.get("default", True)),
            page=page,
            check=_CHECKS.get(code),
            options=dict(meta.get("options", {})),
        )
    missing = set(_CHECKS) - set(rules)
    if missing:
        raise RuntimeError(f"checks without a rule page: {sorted(missing)}")
    return rules


def _import_checks() -> None:
    import dlint.lint.checks as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
