"""How the container starts and is checked: CMD, ENTRYPOINT, HEALTHCHECK, EXPOSE."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.operands import args_span, keyword_span, lineage, operands
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Stage
from dlint.parsing.numbers import capped_int

MAX_PORT = 65535
REPEATED = {"CMD": "DL4003", "ENTRYPOINT": "DL4004", "HEALTHCHECK": "DL3012"}


@rule("DL3025")
def shell_form_command(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword not in ("CMD", "ENTRYPOINT") or instr.is_exec_form or not instr.args.value:
            continue
        start, end = args_span(instr)
        yield ctx.violation(
            "DL3025",
            f"shell-form {instr.keyword} runs under `/bin/sh -c`, which becomes PID 1 and does not pass "
            f'SIGTERM on: `docker stop` waits, then kills; write it as JSON (`{instr.keyword} ["prog", "arg"]`)',
            instr,
            start,
            end,
        )


def repeated(ctx: Context, keyword: str) -> Iterator[Violation]:
    """Every `keyword` instruction after the first in its stage: only the last one counts."""
    code = REPEATED[keyword]
    for stage in ctx.dockerfile.stages:
        found = [i for i in stage.instructions if i.keyword == keyword]
        for instr in found[1:]:
            yield ctx.violation(
                code,
                f"a second {keyword} in this stage: only the last one takes effect (the first is at line "
                f"{found[0].start_line})",
                instr,
                *keyword_span(instr),
            )


@rule("DL4003")
def multiple_cmd(ctx: Context) -> Iterator[Violation]:
    return repeated(ctx, "CMD")


@rule("DL4004")
def multiple_entrypoint(ctx: Context) -> Iterator[Violation]:
    return repeated(ctx, "ENTRYPOINT")


@rule("DL3012")
def multiple_healthcheck(ctx: Context) -> Iterator[Violation]:
    return repeated(ctx, "HEALTHCHECK")


def bad_port(spec: str) -> bool:
    """`80`, `80/udp`, `8000-8100/tcp`: is any number outside 0-65535? Variables are not judged."""
    ports = spec.split("/", 1)[0]
    return any(p.isascii() and p.isdigit() and capped_int(p) > MAX_PORT for p in ports.split("-"))


@rule("DL3011")
def invalid_port(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for op in ctx.per_instruction(operands, instr):
            if bad_port(op.value):
                yield ctx.violation(
                    "DL3011", f"`{op.value}`: ports range from 0 to {MAX_PORT}", instr, op.start, op.end
                )


def shipped_chain(df: Dockerfile) -> list[Stage]:
    """The final stage and the stages it builds FROM, nearest first."""
    return list(lineage(df, df.stages[-1] if df.stages else None))


@rule("DL3057")
def missing_healthcheck(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    chain = shipped_chain(df)
    if not chain or any(i.keyword == "HEALTHCHECK" for s in chain for i in s.instructions):
        return
    final = chain[0].from_instruction
    yield ctx.violation(
        "DL3057",
        "the final image has no HEALTHCHECK: an orchestrator cannot tell a hung container from a working one",
        final,
        *keyword_span(final),
    )
