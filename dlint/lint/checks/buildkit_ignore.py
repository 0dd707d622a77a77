"""BuildKit's CopyIgnoredFile: a COPY or ADD of a context path the `.dockerignore` excludes.

The context is taken to be the Dockerfile's directory (`docker build .` next to
it). As BuildKit does (dockerfile2llb/validations.go), nothing is checked when
the ignore file has `!` exceptions: a directory excluded with a file inside it
re-included cannot be judged from the pattern list alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint import dockerignore
from dlint.lint.checks.operands import copy_operands
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

_ROOT_ALL = frozenset({"*", "**", "**/*"})
# Pattern tries one file may spend: every pattern is tried on every source and its parents, so
# thousands of patterns against thousands of COPY lines stop here, unreported, instead of
# taking time quadratic in the file (a real .dockerignore and Dockerfile use a tiny part of it).
WORK_BUDGET = 500_000


def _matcher(ctx: Context) -> dockerignore.PatternMatcher | None:
    return ctx.per_file(_load)


def _load(ctx: Context) -> dockerignore.PatternMatcher | None:
    return dockerignore.load(ctx.dockerfile.path)


def _remote(source: str) -> bool:
    return "://" in source or source.startswith("git@")


@rule("DLB012")
def copy_ignored_file(ctx: Context) -> Iterator[Violation]:
    copies = [i for i in ctx.dockerfile.instructions if i.keyword in ("COPY", "ADD") and i.flag("from") is None]
    matcher = _matcher(ctx) if copies else None
    if matcher is None or matcher.exclusions:
        return
    root_ignored = any(not p.exclusion and p.text in _ROOT_ALL for p in matcher.patterns)
    left = WORK_BUDGET
    for instr in copies:
        sources, _ = ctx.per_instruction(copy_operands, instr)
        for op in sources:
            source = op.value
            if not source or "$" in source or source.startswith("<<") or _remote(source):
                continue
            path = dockerignore.clean(source)
            if path in (".", "/") and not root_ignored:
                continue
            left -= len(matcher.patterns) * (path.count("/") + 2)
            if left < 0:
                return
            if matcher.matches_or_parent_matches(path):
                verb = "Add" if instr.keyword == "ADD" else "Copy"
                yield ctx.violation(
                    "DLB012", f'Attempting to {verb} file "{path}" that is excluded by .dockerignore',
                    instr, op.start, op.end,
                )
