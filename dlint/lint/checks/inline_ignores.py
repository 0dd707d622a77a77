"""DL1001: teams that want every exception in config, not scattered through Dockerfiles."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.pragmas import on_comment
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule


@rule("DL1001")
def inline_ignore(ctx: Context) -> Iterator[Violation]:
    for pragma in ctx.pragmas.found:
        if pragma.scope == "shell":
            continue
        yield on_comment(
            ctx.dockerfile,
            pragma.comment,
            f"inline `# {pragma.tool} ignore=` pragma: keep exceptions in the configuration "
            "(`ignore`, `per-file-ignores`) where they are reviewed together",
            code="DL1001",
        )
