"""WORKDIR rules: relative paths resolve against a working directory nobody chose."""

from __future__ import annotations

import math
from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import copy_operands, operands
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Stage

_WINDOWS_ABSOLUTE = lazy(r"[A-Za-z]:[\\/]")


def is_absolute(path: str) -> bool:
    """Absolute, or unknowable here: a variable may hold an absolute path."""
    return path.startswith(("/", "\\", "$")) or bool(_WINDOWS_ABSOLUTE.match(path))


def workdir_before(ctx: Context, stage: Stage, index: int) -> bool:
    """A WORKDIR runs before instruction `index` in this stage or in a stage it builds FROM."""
    return _first_workdirs(ctx)[stage.index] < index


def _first_workdirs(ctx: Context) -> list[float]:
    """Per stage, the index of the first WORKDIR in it or the stages it builds FROM (whose
    instructions all come earlier): one pass per file, however many paths are asked about."""
    first: list[float] | None = ctx.memo.get(_first_workdirs)
    if first is None:
        first = ctx.memo[_first_workdirs] = []
        for stage in ctx.dockerfile.stages:  # a parent comes earlier in the file
            own = next((i.index for i in stage.instructions if i.keyword == "WORKDIR"), math.inf)
            first.append(own if stage.parent is None else min(own, first[stage.parent]))
    return first


@rule("DL3000")
def relative_workdir(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in df.instructions:
        if instr.keyword != "WORKDIR" or instr.stage < 0 or not instr.values:
            continue
        op = ctx.per_instruction(operands, instr)[0]
        if is_absolute(op.value) or workdir_before(ctx, df.stages[instr.stage], instr.index):
            continue
        yield ctx.violation(
            "DL3000",
            f"`WORKDIR {op.value}` is relative to the base image's working directory, which this file "
            "does not set; use an absolute path",
            instr,
            op.start,
            op.end,
        )


@rule("DL3045")
def copy_to_relative_destination(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in df.instructions:
        if instr.keyword != "COPY" or instr.stage < 0:
            continue
        _, dest = ctx.per_instruction(copy_operands, instr)
        if dest is None or is_absolute(dest.value) or workdir_before(ctx, df.stages[instr.stage], instr.index):
            continue
        yield ctx.violation(
            "DL3045",
            f"`{dest.value}` is relative, and no WORKDIR is set in this stage: where it lands depends on the "
            "base image; set WORKDIR first or use an absolute path",
            instr,
            dest.start,
            dest.end,
        )
