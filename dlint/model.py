"""The parsed Dockerfile: what BuildKit sees, with source positions for every part.

Offsets are character offsets into `Dockerfile.text` (the decoded file); lines
and columns are 1-based, columns count characters. Every span is half-open:
`end_offset` and `end_column` point one past the last character, as SARIF wants.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from operator import add
from typing import NamedTuple

UNIT_STEP = 1024  # characters between the marks units_before() keeps on a long non-ASCII line


class Segment(NamedTuple):  # tuples, this and the two below: made for every instruction, quicker than frozen dataclasses
    """A run of `length` characters copied unchanged from `source` to `logical`."""

    logical: int
    source: int
    length: int


def _logical(segment: Segment) -> int:
    return segment.logical


class SourceMap(NamedTuple):
    """Maps positions in a logical string (continuations removed) back to the file.

    BuildKit joins `\\`-continued lines and drops comment lines inside them
    before it hands a RUN to the shell; rules see that joined text but must
    report positions in the file, so every logical string carries one of these.
    Segments are sorted by `logical`; there is always one, if only empty, so
    that an empty string still has a place in the file.
    """

    segments: tuple[Segment, ...]

    def to_source(self, index: int) -> int:
        """File offset of logical character `index` (index == len maps past the end)."""
        segments = self.segments
        if len(segments) <= 1:
            return segments[0].source + index - segments[0].logical if segments else 0
        i = max(bisect.bisect_right(segments, index, key=_logical) - 1, 0)
        seg = segments[i]
        return seg.source + (index - seg.logical)

    def locator(self) -> Callable[[int], int]:
        """`to_source` as a function made for one parse that asks it of every word: one addition for a
        one-line string (most of them), otherwise a search of the segments' starts with no key function."""
        segments = self.segments
        if not segments:
            return lambda _index: 0
        if len(segments) == 1:
            return partial(add, segments[0].source - segments[0].logical)
        starts = [seg.logical for seg in segments]
        starts[0] = -sys.maxsize  # what lies before the first segment maps by it, as in to_source
        shifts = [seg.source - seg.logical for seg in segments]
        return lambda index: index + shifts[bisect.bisect_right(starts, index) - 1]

    def end_to_source(self, end: int) -> int:
        """File offset just past logical character `end - 1`.

        Differs from `to_source(end)` when `end` falls on a continuation: the
        span then stops after its last character instead of at the next line.
        """
        return self.to_source(end - 1) + 1 if end > 0 else self.to_source(0)

    def slice(self, start: int, end: int) -> SourceMap:
        """The map of logical characters [start, end), re-based to start at 0."""
        if len(self.segments) == 1:  # a one-line instruction: most of them
            seg = self.segments[0]
            lo, hi = max(seg.logical, start), min(seg.logical + seg.length, end)
            return SourceMap((Segment(0, seg.source + lo - seg.logical, max(hi - lo, 0)),))
        out: list[Segment] = []
        for seg in self.segments:
            lo = max(seg.logical, start)
            hi = min(seg.logical + seg.length, end)
            if lo < hi:
                out.append(Segment(lo - start, seg.source + (lo - seg.logical), hi - lo))
        if not out:
            out.append(Segment(0, self.to_source(start), 0))
        return SourceMap(tuple(out))


class Text(NamedTuple):
    """A logical string and where each of its characters sits in the file."""

    value: str
    map: SourceMap

    def source_offset(self, index: int) -> int:
        return self.map.to_source(index)


@dataclass(frozen=True, slots=True)
class Flag:
    """An instruction flag such as `--mount=type=cache,target=/root/.cache`."""

    name: str  # without the leading dashes: "mount"
    value: str | None  # None for a bare `--link`
    start_offset: int
    end_offset: int

    def options(self) -> dict[str, str]:
        """The comma-separated key=value pairs of a `--mount` style value."""
        out: dict[str, str] = {}
        for part in (self.value or "").split(","):
            key, sep, val = part.partition("=")
            if key:
                out[key.strip().lower()] = val.strip() if sep else ""
        return out


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A `<<EOF` body attached to RUN, COPY or ADD."""

    name: str  # the terminator word, quotes removed
    body: str  # the content BuildKit passes on (leading tabs stripped for <<-)
    start_line: int  # first body line; the terminator's line when the body is empty
    end_line: int  # the terminator's line
    body_offset: int  # file offset of the first body character
    terminator_offset: int  # file offset of the terminator line
    chomp: bool  # `<<-`: leading tabs removed
    expand: bool  # False when the name was quoted: no variable expansion
    fd: int = 0


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment line above an instruction, as BuildKit collects them (PrevComment).

    All comment lines since the previous instruction, blank lines allowed between;
    a bare `#` line starts the block afresh and parser directives are not comments.
    """

    text: str  # without the leading '#', stripped
    line: int
    offset: int


@dataclass(slots=True)
class Instruction:
    """One instruction as BuildKit splits it, with its place in the file; slots: a file can hold many thousands."""

    keyword: str  # upper case: "RUN"
    raw_keyword: str  # as written
    start_line: int
    end_line: int  # last line, heredoc terminators included
    start_offset: int
    end_offset: int  # past the last character (newline excluded)
    flags: tuple[Flag, ...]
    args: Text  # what follows keyword and flags, continuations joined
    json_args: tuple[str, ...] | None  # exec form `["a", "b"]`; None for shell form
    heredocs: tuple[Heredoc, ...] = ()
    comments: tuple[Comment, ...] = ()
    stage: int = -1  # index into Dockerfile.stages; -1 for global ARGs before the first FROM
    index: int = 0  # position in Dockerfile.instructions
    # BuildKit's own argument list (its AST node values), quotes kept: the words of
    # FROM/EXPOSE/ARG, sources and destination of COPY/ADD, one string for a
    # shell-form RUN/CMD, (key, value, separator) triples for ENV and LABEL.
    values: tuple[str, ...] = ()
    trigger: Instruction | None = None  # ONBUILD's instruction (same lines, index and stage; no comments)

    @property
    def is_exec_form(self) -> bool:
        return self.json_args is not None

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> tuple[Flag, ...]:
        return tuple(f for f in self.flags if f.name == name)


@dataclass
class Stage:
    """A FROM and the instructions up to the next one: what a build target names and what ships."""

    index: int
    base: str  # the image reference after FROM (flags removed), variables unexpanded
    alias: str | None  # `AS name`, lower-cased as BuildKit compares it
    platform: str | None
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)  # FROM included
    parent: int | None = None  # index of the stage this one builds FROM, if any
    ships: bool = False  # a build target (no later stage copies, mounts or builds FROM it) or its ancestor

    @property
    def name(self) -> str:
        return self.alias or str(self.index)


@dataclass(frozen=True)
class Directives:
    """Parser directives from the top of the file (`# syntax=`, `# escape=`, `# check=`)."""

    syntax: str | None = None
    escape: str = "\\"
    check: str | None = None


@dataclass(frozen=True)
class ParseError:
    """Something BuildKit would reject; reported as DL1000."""

    message: str
    line: int
    column: int = 1
    rule: str | None = None  # a rule reporting the same mistake under its own code: DL1000 then stays quiet
    end: tuple[int, int] | None = None  # (line, column) just past the span, for an error about one part
    instruction: int = -1  # the instruction BuildKit refuses (a bad flag): no other rule reports on it


@dataclass
class Dockerfile:
    """A parsed file: the model every rule reads, and the text that fixes and positions refer to."""

    path: str
    text: str
    directives: Directives
    instructions: list[Instruction]
    stages: list[Stage]
    errors: list[ParseError] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=lambda: [0])  # offset of each line's first char
    _ascii_lines: dict[int, bool] = field(default_factory=dict, repr=False, compare=False)
    _unit_marks: dict[tuple[str, int], list[int]] = field(default_factory=dict, repr=False, compare=False)
    _aliases: dict[str, int] | None = field(default=None, repr=False, compare=False)
    _one_line: dict[int, str] = field(default_factory=dict, repr=False, compare=False)  # steps.instruction_text

    def first_stage_named(self, alias: str) -> Stage | None:
        """The first stage `AS alias` (lower-cased), from a table built once: rules ask per COPY --from."""
        if self._aliases is None:
            self._aliases = {}
            for stage in self.stages:
                if stage.alias:
                    self._aliases.setdefault(stage.alias, stage.index)
        index = self._aliases.get(alias)
        return None if index is None else self.stages[index]

    def line_is_ascii(self, line: int) -> bool:
        """Whether a line (1-based) is pure ASCII, read once per line: findings on it ask for byte columns."""
        known = self._ascii_lines.get(line)
        if known is None:
            start = self.line_starts[line - 1]
            end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
            known = self._ascii_lines[line] = self.text[start:end].isascii()
        return known

    def units_before(self, offset: int, line: int, encoding: str) -> int:
        """Bytes of the line (1-based) before `offset` in `encoding`: counted from a mark kept every
        UNIT_STEP characters, since re-encoding the whole prefix made many findings on one long
        non-ASCII line quadratic (8,000 on a 64 KB line: 2.6 s)."""
        start = self.line_starts[line - 1]
        marks = self._unit_marks.setdefault((encoding, line), [0])
        k = (offset - start) // UNIT_STEP
        while len(marks) <= k:
            at = start + (len(marks) - 1) * UNIT_STEP
            marks.append(marks[-1] + len(self.text[at : at + UNIT_STEP].encode(encoding, "surrogatepass")))
        at = start + k * UNIT_STEP
        return marks[k] + len(self.text[at:offset].encode(encoding, "surrogatepass"))

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a file offset."""
        return line_column(self.line_starts, offset)

    def text_of(self, instruction: Instruction) -> str:
        """The instruction as written: continuations, comments and heredoc bodies included."""
        return self.text[instruction.start_offset : instruction.end_offset]

    @property
    def continuation(self) -> str:
        """A regex for this file's line continuation: the escape character, blanks, a newline."""
        return re.escape(self.directives.escape) + r"[ \t]*\r?\n"

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return self.stages[instruction.stage] if instruction.stage >= 0 else None

    def unknown_targets(self, targets: Iterable[str]) -> list[str]:
        """The names among `targets` that are no stage of this file (BuildKit: could not be found)."""
        names = {stage.name for stage in self.stages}
        return [t for t in targets if t.lower() not in names]

    def ship_only(self, targets: Iterable[str]) -> None:
        """Exactly the named stages (`AS` names or indexes) and the stages they build FROM ship.

        When no name is a stage here, the names were meant for other files: the default stays.
        """
        wanted = {t.lower() for t in targets}
        if not any(stage.name in wanted for stage in self.stages):
            return
        for stage in self.stages:
            stage.ships = False
        for stage in self.stages:
            if stage.name in wanted:
                at: Stage | None = stage
                while at is not None and not at.ships:
                    at.ships = True
                    at = self.stages[at.parent] if at.parent is not None else None

    @property
    def global_args(self) -> list[Instruction]:
        return [i for i in self.instructions if i.stage < 0]


def line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of a file offset; the parser needs it before a Dockerfile exists."""
    i = max(bisect.bisect_right(line_starts, offset) - 1, 0)
    return i + 1, offset - line_starts[i] + 1
