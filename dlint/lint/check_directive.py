"""BuildKit's `# check=skip=A,B;error=true` parser directive, read as BuildKit reads it.

BuildKit (frontend/dockerfile/linter ParseLintOptions) splits the value on `;`
into `key=value` options: `skip` (a comma list of check names, or `all`),
`error` (Go's ParseBool) and `experimental`. A value BuildKit would reject
changes nothing here: the build itself reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlint.lint.registry import Rule, canonical

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


@dataclass(frozen=True)
class CheckDirective:
    skip: frozenset[str] = frozenset()  # dlint codes of the skipped BuildKit checks
    skip_all: bool = False
    error: bool = False  # BuildKit-family findings become errors

    def skips(self, rule: Rule) -> bool:
        return rule.buildkit and (self.skip_all or rule.code in self.skip)


def parse_check(value: str | None) -> CheckDirective:
    value = (value or "").strip()
    if not value:
        return CheckDirective()
    skip: set[str] = set()
    skip_all = error = False
    for part in value.split(";", 2):
        key, sep, val = part.partition("=")
        key, val = key.strip(), val.strip()
        if not sep:
            return CheckDirective()
        if key == "skip":
            if val == "all":
                skip_all = True
            else:
                skip |= {canonical(name) for name in val.split(",") if name.strip()}
        elif key == "error":
            if val not in _TRUE + _FALSE:
                return CheckDirective()
            error = val in _TRUE
        elif key != "experimental":
            return CheckDirective()
    return CheckDirective(frozenset(skip), skip_all, error)
