"""BuildKit's `# check=skip=A,B;error=true` parser directive, read as BuildKit reads it.

BuildKit (frontend/dockerfile/linter ParseLintOptions) splits the value on `;`
into `key=value` options: `skip` (a comma list of check names, or `all`),
`error` (Go's ParseBool) and `experimental` (a comma list, or `all`). As in
BuildKit's linter (linter.New, Linter.Run), an experimental check runs only when
`experimental` names it, whatever `skip` says, and naming it there takes it out
of `skip`. A value BuildKit would reject changes nothing here: the build itself
reports it.
"""

from __future__ import annotations

from typing import NamedTuple

from dlint.lint.registry import Rule, canonical

# BuildKit's experimental checks (linter/ruleset.go: Experimental: true).
EXPERIMENTAL = frozenset({"DLB014"})  # InvalidDefinitionDescription
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class CheckDirective(NamedTuple):
    skip: frozenset[str] = frozenset()  # dlint codes of the skipped BuildKit checks
    skip_all: bool = False
    error: bool = False  # BuildKit-family findings become errors
    experimental: frozenset[str] = frozenset()  # dlint codes of the experimental checks the file enables
    experimental_all: bool = False

    def skips(self, rule: Rule) -> bool:
        if rule.code in EXPERIMENTAL:
            return False  # `skip` never reaches an experimental check; `experimental` decides (enables)
        return (self.skip_all or rule.code in self.skip) and rule.buildkit

    def enables(self, rule: Rule) -> bool:
        """The file turns on an experimental BuildKit check the selection may leave off (DLB014 is opt-in)."""
        return rule.code in EXPERIMENTAL and (self.experimental_all or rule.code in self.experimental)


def parse_check(value: str | None) -> CheckDirective:
    value = (value or "").strip()
    if not value:
        return CheckDirective()
    skip: set[str] = set()
    experimental: set[str] = set()
    skip_all = error = experimental_all = False
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
        elif key == "experimental":
            if val == "all":
                experimental_all = True
            else:
                experimental |= {canonical(name) for name in val.split(",") if name.strip()}
        else:
            return CheckDirective()
    return CheckDirective(frozenset(skip - experimental), skip_all, error, frozenset(experimental), experimental_all)
