"""DL1001: teams that want every exception in config, not scattered through Dockerfiles."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule


@rule("DL1001")
def inline_ignore(ctx: Context) -> Iterator[Violation]:
    text = ctx.dockerfile.text
    for pragma in ctx.pragmas.found:
        if pragma.scope == "shell":
            continue
        comment = pragma.comment
        end = text.find("\n", comment.offset)
        yield Violation(
            "DL1001",
            f"inline `# {pragma.tool} ignore=` pragma: keep exceptions in the configuration "
            "(`ignore`, `per-file-ignores`) where they are reviewed together",
            comment.offset,
            len(text) if end < 0 else end,
            instruction=-1,
        )
