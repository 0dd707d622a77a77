"""USER rules: who the container runs as."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.operands import operands
from dlint.lint.checks.runtime import shipped_chain
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction

ROOT = frozenset({"root", "0"})


def user_part(spec: str) -> str:
    """`app:staff` -> "app"; the group does not decide who runs."""
    return spec.split(":", 1)[0]


@rule("DL3002")
def last_user_root(ctx: Context) -> Iterator[Violation]:
    """The USER the final image runs as is the last one along its FROM chain."""
    for stage in shipped_chain(ctx.dockerfile):
        users = [i for i in stage.instructions if i.keyword == "USER" and i.values]
        if not users:
            continue
        last = users[-1]
        op = ctx.per_instruction(operands, last)[0]
        if user_part(op.value) in ROOT:
            yield ctx.violation(
                "DL3002",
                f"the image runs as `{op.value}`: a process that escapes the container is root on the host's "
                "kernel; end with a non-root USER",
                last,
                op.start,
                op.end,
            )
        return


def users(ctx: Context) -> Iterator[Instruction]:
    return (i for i in ctx.dockerfile.instructions if i.keyword == "USER" and i.values)


@rule("DL3066")
def non_numeric_user(ctx: Context) -> Iterator[Violation]:
    for instr in users(ctx):
        op = ctx.per_instruction(operands, instr)[0]
        uid = user_part(op.value)
        if uid.isdigit() or "$" in uid:
            continue
        yield ctx.violation(
            "DL3066",
            f"`USER {op.value}` names the user: Kubernetes' runAsNonRoot and the host cannot resolve a name, "
            "only a numeric UID",
            instr,
            op.start,
            op.end,
        )
