"""BuildKit's build checks that no hadolint code covers, with BuildKit's semantics and wording.

BuildKit (frontend/dockerfile/linter/ruleset.go) prints these on every build;
dlint reports them under `DLB…` codes with the BuildKit name as alias, so a
`# dlint ignore=FromAsCasing` reads as BuildKit's own name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.arguments import KEYWORDS

_AS = re.compile(r"(?<=\s)(as)(?=\s)", re.I)
_PROTO = re.compile(r"/([A-Za-z]+)$")


def _word_span(instr: Instruction, pattern: re.Pattern[str]) -> tuple[int, int, str] | None:
    """File span and text of the first match of `pattern` in the instruction's arguments."""
    m = pattern.search(instr.args.value)
    if m is None:
        return None
    return instr.args.source_offset(m.start(1)), instr.args.map.end_to_source(m.end(1)), m.group(1)


def _cased(word: str, like: str) -> str:
    """`word` in the case of `like`: upper when `like` is upper, else lower (BuildKit's rule)."""
    return word.upper() if like.isupper() else word.lower()


def _named_froms(ctx: Context) -> Iterator[Instruction]:
    """The `FROM image AS name` instructions: what the stage-name casing rules look at."""
    for stage in ctx.dockerfile.stages:
        if stage.alias is not None and len(stage.from_instruction.values) >= 3:
            yield stage.from_instruction


@rule("DLB001")
def from_as_casing(ctx: Context) -> Iterator[Violation]:
    for instr in _named_froms(ctx):
        keyword = instr.raw_keyword
        if not (keyword.isupper() or keyword.islower()):
            continue  # ConsistentInstructionCasing's business, as in BuildKit
        span = _word_span(instr, _AS)
        if span is None or span[2] == _cased(span[2], keyword):
            continue
        start, end, word = span
        yield ctx.violation(
            "DLB001",
            f"'{word}' and '{keyword}' keywords' casing do not match",
            instr, start, end,
            fix=Fix((Edit(start, end, _cased(word, keyword)),)),
        )


@rule("DLB002")
def stage_name_casing(ctx: Context) -> Iterator[Violation]:
    for instr in _named_froms(ctx):
        name = instr.values[2]
        if name == name.lower():
            continue
        yield ctx.violation("DLB002", f"Stage name '{name}' should be lowercase", instr)


@rule("DLB003")
def expose_proto_casing(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for word in instr.values:
            m = _PROTO.search(word)
            if m is None or m.group(1) == m.group(1).lower():
                continue
            at = instr.args.value.find(word)
            fix = None
            if at >= 0:
                start = instr.args.source_offset(at + m.start(1))
                end = instr.args.map.end_to_source(at + m.end(1))
                fix = Fix((Edit(start, end, m.group(1).lower()),))
            yield ctx.violation(
                "DLB003", f"Defined protocol '{word}' in EXPOSE instruction should be lowercase", instr, fix=fix
            )


@rule("DLB004")
def consistent_instruction_casing(ctx: Context) -> Iterator[Violation]:
    # An unknown instruction is already DL1000 (BuildKit stops there): no casing to agree on.
    instrs = [i for i in ctx.dockerfile.instructions if i.keyword.lower() in KEYWORDS]
    upper = sum(1 for i in instrs if i.raw_keyword.isupper())
    lower = sum(1 for i in instrs if i.raw_keyword.islower())
    majority_upper = upper >= lower
    case = "uppercase" if majority_upper else "lowercase"
    for instr in instrs:
        word = instr.raw_keyword
        wanted = word.upper() if majority_upper else word.lower()
        if word == wanted:
            continue
        start = instr.start_offset
        yield ctx.violation(
            "DLB004",
            f"Command '{word}' should match the case of the command majority ({case})",
            instr, start, start + len(word),
            fix=Fix((Edit(start, start + len(word), wanted),)),
        )
