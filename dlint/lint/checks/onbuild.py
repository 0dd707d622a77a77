"""ONBUILD rules: triggers that run in someone else's build."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.operands import args_span
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

FORBIDDEN_TRIGGERS = frozenset({"ONBUILD", "FROM", "MAINTAINER"})


@rule("DL3043")
def forbidden_onbuild_trigger(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        trigger = instr.trigger
        if instr.keyword == "ONBUILD" and trigger is not None and trigger.keyword in FORBIDDEN_TRIGGERS:
            yield ctx.violation(
                "DL3043",
                f"`ONBUILD {trigger.keyword}` is not allowed: BuildKit refuses to build this file",
                instr,
                *args_span(instr),
            )
