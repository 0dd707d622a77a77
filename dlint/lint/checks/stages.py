"""DLR007: `COPY --from` a stage that can hold no files."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.copy_add import copies_from
from dlint.lint.checks.operands import copy_operands, stage_named
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Stage

WRITERS = frozenset({"COPY", "ADD", "RUN", "WORKDIR", "ONBUILD"})  # WORKDIR creates its directory


def _empty(ctx: Context, stage: Stage) -> bool:
    """A stage FROM scratch (itself or through its parents) where nothing writes a file. A stage
    chosen by a build argument (`FROM tools-${WITH_TOOLS}`) is the author's switch: not reported.
    Decided once per stage from its parent's answer, so chains of stages stay linear."""
    known: dict[int, bool] | None = ctx.memo.get("DLR007 empty")
    if known is None:
        known = ctx.memo["DLR007 empty"] = {}
        for s in ctx.dockerfile.stages:  # a parent comes earlier in the file
            if "$" in s.base or any(i.keyword in WRITERS for i in s.instructions):
                known[s.index] = False
            elif s.parent is not None:
                known[s.index] = known[s.parent]
            else:
                known[s.index] = s.base.strip().lower() == "scratch"
    return known[stage.index]


@rule("DLR007")
def copy_from_empty_stage(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr, found in copies_from(df):
        source = stage_named(df, found[0], before=instr.stage)
        paths, _ = ctx.per_instruction(copy_operands, instr)
        if any(p.value in ("/", ".", "./") for p in paths):  # the root of an empty stage copies nothing, and works
            continue
        if source is not None and _empty(ctx, source):
            yield ctx.violation("DLR007", f"`--from={found[0]}` copies from a stage FROM scratch that no instruction "
                                "writes to: there is nothing to copy and the build fails", instr, found[1], found[2])
