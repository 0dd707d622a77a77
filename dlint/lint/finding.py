"""What a rule reports: a violation (from the check) and a finding (what users see)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple


class Level(enum.IntEnum):
    """Ordered so that `level >= threshold` means "fails the run"."""

    STYLE = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @classmethod
    def parse(cls, name: str) -> Level:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown level {name!r} (expected error, warning, info or style)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Edit:
    """Replace file text [start, end) with `text`; offsets are characters in the decoded file."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    """The edits that resolve a finding, applied all or none."""

    edits: tuple[Edit, ...]
    safe: bool = True  # False: changes what the build does beyond the finding (--unsafe-fixes)


class Replacement(NamedTuple):
    """One edit of a fix in the file's lines and columns (1-based; end exclusive), for reports that
    carry fixes as text edits (rdjson suggestions). `*_byte_column` count UTF-8 bytes, as reviewdog does."""

    line: int
    column: int
    end_line: int
    end_column: int
    byte_column: int
    end_byte_column: int
    text: str


@dataclass(frozen=True)
class Violation:
    """What a check yields: the engine adds the file, rule name and level."""

    code: str
    message: str
    start_offset: int
    end_offset: int
    instruction: int  # Instruction.index the violation belongs to (for suppressions); -1: file
    fix: Fix | None = None


class Anchor:
    """An instruction's text (whitespace and continuations normalised), shared by its findings.

    A finding's fingerprint is sha256 of `code NUL text NUL rank`; the hash state
    after `code NUL text NUL` is kept per code, so a long instruction with many
    findings is hashed once per code, not once per finding.
    """

    __slots__ = ("text", "_states")

    def __init__(self, text: str) -> None:
        self.text = text
        self._states: dict[str, object] = {}

    def fingerprint(self, code: str, rank: int) -> str:
        import hashlib  # 4 ms of import a text report never needs

        state = self._states.get(code)
        if state is None:
            state = self._states[code] = hashlib.sha256(f"{code}\0{self.text}\0".encode())
        h = state.copy()  # type: ignore[attr-defined]
        h.update(str(rank).encode())
        return h.hexdigest()[:32]


@dataclass
class Finding:
    """What reporters print: a violation placed in lines and columns, with its rule's name and level."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    level: Level
    message: str
    instruction_line: int = 0  # first line of the instruction it is about: the analyser's key to its build step
    instruction_end_line: int = 0  # its last line (continuations and heredoc bodies included)
    fix: Fix | None = None
    suppressed: str | None = None  # reason/pragma text when silenced inline
    anchor: Anchor | None = None  # the instruction's normalised text, shared: set by the engine
    rank: int = 0  # among findings with the same code and anchor
    extra: dict = field(default_factory=dict)  # e.g. measured_bytes, added by the analyser
    # UTF-8 byte columns of (column, end_column), only where the line before them is not ASCII
    byte_columns: tuple[int, int] | None = None
    # UTF-16 unit columns (what SonarQube counts, as Java does), only where an astral character comes before
    utf16_columns: tuple[int, int] | None = None
    replacements: tuple[Replacement, ...] = ()  # the fix's edits in line/column terms

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    @property
    def fingerprint(self) -> str:
        """Stable across edits elsewhere in the file (SARIF, GitLab); hashed only when a report asks."""
        anchor = self.anchor or Anchor("")
        return anchor.fingerprint(self.code, self.rank)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code)

    def to_dict(self) -> dict:
        """The JSON shape: hadolint's field names first, so its readers read ours."""
        d = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "level": str(self.level),
            "message": self.message,
            "fixable": self.fixable,
            "instruction_line": self.instruction_line,
            "instruction_end_line": self.instruction_end_line,
        }
        d.update(self.extra)
        return d
