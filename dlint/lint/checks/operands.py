"""The operands of non-RUN instructions with their file positions, and image references.

BuildKit keeps quotes in the values of FROM, COPY, ENV, LABEL and the like
(`Instruction.values`); rules compare what the build uses, so `unquote` removes
them, and report where the operand is written, so `operands` locates each one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from dlint.model import Dockerfile, Instruction, Stage
from dlint.parsing.arguments import unquote
from dlint.parsing.numbers import capped_int


class Operand(NamedTuple):
    raw: str  # as BuildKit keeps it: quotes and escapes included
    start: int  # file offsets
    end: int
    escape: str = "\\"  # the file's escape character: a backtick in Windows files

    @property
    def value(self) -> str:
        return unquote(self.raw, self.escape)


def operands(instr: Instruction, escape: str, values: tuple[str, ...] | None = None) -> list[Operand]:
    """Each value located in the instruction's arguments (searched left to right)."""
    text = instr.args.value
    out: list[Operand] = []
    pos = 0
    for value in instr.values if values is None else values:
        found = text.find(value, pos) if value else -1
        if found < 0:  # decoded JSON or a value BuildKit rewrote: point at the arguments
            out.append(Operand(value, instr.args.source_offset(0), instr.args.map.end_to_source(len(text)), escape))
            continue
        pos = found + len(value)
        out.append(Operand(value, instr.args.source_offset(found), instr.args.map.end_to_source(pos), escape))
    return out


def keyword_span(instr: Instruction) -> tuple[int, int]:
    """The keyword as written: where instruction-wide findings point."""
    return instr.start_offset, instr.start_offset + len(instr.raw_keyword)


def args_span(instr: Instruction) -> tuple[int, int]:
    text = instr.args
    if not text.value:
        return keyword_span(instr)
    return text.source_offset(0), text.map.end_to_source(len(text.value))


def copy_operands(instr: Instruction, escape: str) -> tuple[list[Operand], Operand | None]:
    """Sources and destination of COPY/ADD (heredoc sources appear as `<<NAME` words)."""
    ops = operands(instr, escape)
    if len(ops) < 2:
        return ops, None
    return ops[:-1], ops[-1]


def pairs(instr: Instruction, escape: str) -> list[tuple[Operand, Operand]]:
    """(key, value) of ENV and LABEL, from BuildKit's (key, value, separator) triples."""
    values = instr.values
    triples = [values[i : i + 3] for i in range(0, len(values) - 2, 3)]
    ops = operands(instr, escape, tuple(v for t in triples for v in t[:2]))
    return [(ops[i], ops[i + 1]) for i in range(0, len(ops) - 1, 2)]


def arg_names(instr: Instruction, escape: str) -> list[Operand]:
    """The names an ARG declares (`ARG A B=1` declares A and B)."""
    names = [v.partition("=")[0] for v in instr.values]
    return operands(instr, escape, tuple(names))


def with_triggers(df: Dockerfile, keyword: str) -> Iterator[tuple[Instruction, Instruction]]:
    """(instruction, what it says) for `keyword` instructions, and for ONBUILD ones that
    wrap `keyword`: findings belong to the ONBUILD, operands are read from its trigger."""
    for instr in df.instructions:
        if instr.keyword == keyword:
            yield instr, instr
        elif instr.keyword == "ONBUILD" and instr.trigger is not None and instr.trigger.keyword == keyword:
            yield instr, instr.trigger


def from_flag(instr: Instruction) -> tuple[str, int, int] | None:
    """The `--from` value (BuildKit already removed the flag's quotes) and where the flag is written."""
    flag = instr.flag("from")
    if flag is None or not flag.value:
        return None
    return flag.value, flag.start_offset, flag.end_offset


# --- image references ---------------------------------------------------------------

class ImageRef(NamedTuple):
    registry: str | None  # None: Docker Hub
    path: str  # "library/debian" is written "debian"
    tag: str | None
    digest: str | None


def parse_image(ref: str) -> ImageRef:
    """Split a reference the way the distribution library does: a first component
    with `.` or `:`, or `localhost`, is a registry; a `:` after the last `/` starts the tag."""
    name, at, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    registry = None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    return ImageRef(registry, name, tag, digest if at else None)


def stage_named(df: Dockerfile, name: str, before: int | None = None) -> Stage | None:
    """The stage a `FROM`/`--from` name refers to: an alias (case-insensitive, as
    BuildKit compares) or an index, among the stages before `before` when given."""
    limit = len(df.stages) if before is None else min(before, len(df.stages))
    if name.isascii() and name.isdigit():
        index = capped_int(name)
        return df.stages[index] if index < limit else None
    found = df.first_stage_named(name.lower())
    return found if found is not None and found.index < limit else None


def lineage(df: Dockerfile, stage: Stage | None) -> Iterator[Stage]:
    """`stage` and the stages it builds FROM, nearest first (a parent always comes earlier in the file)."""
    while stage is not None:
        yield stage
        stage = df.stages[stage.parent] if stage.parent is not None else None
