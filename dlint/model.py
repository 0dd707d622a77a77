"""The parsed Dockerfile: what BuildKit sees, with source positions for every part.

Offsets are character offsets into `Dockerfile.text` (the decoded file); lines
and columns are 1-based, columns count characters. Every span is half-open:
`end_offset` and `end_column` point one past the last character, as SARIF wants.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of `length` characters copied unchanged from `source` to `logical`."""

    logical: int
    source: int
    length: int


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Maps positions in a logical string (continuations removed) back to the file.

    BuildKit joins `\\`-continued lines and drops comment lines inside them
    before it hands a RUN to the shell; rules see that joined text but must
    report positions in the file, so every logical string carries one of these.
    """

    segments: tuple[Segment, ...]

    def to_source(self, index: int) -> int:
        """File offset of logical character `index` (index == len maps past the end)."""
        if not self.segments:
            return 0
        keys = [s.logical for s in self.segments]
        i = max(bisect.bisect_right(keys, index) - 1, 0)
        seg = self.segments[i]
        return seg.source + (index - seg.logical)


@dataclass(frozen=True, slots=True)
class Text:
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
    start_line: int  # first body line
    end_line: int  # the terminator's line
    body_offset: int  # file offset of the first body character
    terminator_offset: int  # file offset of the terminator line
    chomp: bool  # `<<-`: leading tabs removed
    expand: bool  # False when the name was quoted: no variable expansion
    fd: int = 0


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment line directly above an instruction (blank lines allowed between)."""

    text: str  # without the leading '#', stripped
    line: int
    offset: int


@dataclass(slots=True)
class Instruction:
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


@dataclass(slots=True)
class Stage:
    index: int
    base: str  # the image reference after FROM (flags removed), variables unexpanded
    alias: str | None  # `AS name`, lower-cased as BuildKit compares it
    platform: str | None
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)  # FROM included
    parent: int | None = None  # index of the stage this one builds FROM, if any
    ships: bool = False  # reaches the final image: the last stage or an ancestor of it

    @property
    def name(self) -> str:
        return self.alias or str(self.index)


@dataclass(frozen=True, slots=True)
class Directives:
    """Parser directives from the top of the file (`# syntax=`, `# escape=`, `# check=`)."""

    syntax: str | None = None
    escape: str = "\\"
    check: str | None = None


@dataclass(frozen=True, slots=True)
class ParseError:
    """Something BuildKit would reject; reported as DL1000."""

    message: str
    line: int
    column: int = 1


@dataclass(slots=True)
class Dockerfile:
    path: str
    text: str
    directives: Directives
    instructions: list[Instruction]
    stages: list[Stage]
    errors: list[ParseError] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=lambda: [0])  # offset of each line's first char

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a file offset."""
        i = max(bisect.bisect_right(self.line_starts, offset) - 1, 0)
        return i + 1, offset - self.line_starts[i] + 1

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return self.stages[instruction.stage] if instruction.stage >= 0 else None

    @property
    def global_args(self) -> list[Instruction]:
        return [i for i in self.instructions if i.stage < 0]
