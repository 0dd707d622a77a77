"""How RUN instructions are cut into layers and how their shell treats failures."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.operands import keyword_span
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.shell import Command, Script

SMALL_RUN = 1  # commands; a RUN with more was probably written that way on purpose


def statement_count(text: str) -> int:
    """Top-level statements of a RUN that is not POSIX shell (PowerShell, cmd): the parts
    between `;`, `&`, `|` and line ends outside quotes, brackets and script blocks."""
    count, depth, quote, current = 0, 0, "", False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "`" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, current = ch, True
        elif ch in "({[":
            depth, current = depth + 1, True
        elif ch in ")}]":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in ";&|\n":
            count, current = count + current, False
        elif not ch.isspace():
            current = True
        i += 1
    return count + current


def is_short(ctx: Context, instr: Instruction) -> bool:
    """At most SMALL_RUN commands: a heredoc counts its script's commands, exec form is one."""
    script = ctx.script(instr)
    count = len(script.commands) if script is not None else statement_count(instr.args.value)
    return count <= SMALL_RUN


def mount_flags(instr: Instruction) -> tuple[tuple[str, str | None], ...]:
    return tuple((f.name, f.value) for f in instr.flags)


@rule("DL3059")
def consecutive_runs(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for stage in df.stages:
        previous: Instruction | None = None
        before: Instruction | None = None  # the RUN just before this one, which the message names
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                previous = before = None
                continue
            just_before, before = before, instr
            if (
                previous is not None
                and mount_flags(previous) == mount_flags(instr)
                and is_short(ctx, previous)
                and is_short(ctx, instr)
            ):
                start, end = keyword_span(instr)
                yield ctx.violation(
                    "DL3059",
                    f"this RUN and the one at line {(just_before or previous).start_line} run one command each, in two layers: "
                    "chain them with `&&` in one RUN",
                    instr,
                    start,
                    end,
                )
                continue  # keep comparing with the first of the run of short RUNs, as hadolint does
            previous = instr


def unguarded_pipe(script: Script) -> Command | None:
    """The first pipeline command, when neither the shell nor the script sets pipefail."""
    if not script.has_pipe or script.sets_pipefail:
        return None
    return next((cmd for cmd in script.commands if cmd.in_pipeline), None)


@rule("DL4006")
def pipe_without_pipefail(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.runs():
        script = ctx.script(instr)
        cmd = unguarded_pipe(script) if script is not None else None
        if cmd is not None:
            yield ctx.violation(
                "DL4006",
                "a pipe's status is its last command's: if the left side fails, this RUN still succeeds; "
                'set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before it (or `set -o pipefail` in it)',
                instr,
                cmd.start_offset,
                cmd.end_offset,
            )
