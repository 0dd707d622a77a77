"""One open buffer linted: its findings, the settings that found them, and offset/position conversion."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property

from lsprotocol import types

from dlint.lint.config import DLINT_TOML, PYPROJECT, ConfigError, Flags, Resolver, Settings, _upwards
from dlint.lint.context import ScriptCache
from dlint.lint.discovery import is_dockerfile_name
from dlint.lint.engine import lint
from dlint.lint.finding import Finding
from dlint.lint.fix import mostly_crlf
from dlint.lint.runner import with_crashes
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import without_surrogates

CONFIG_NAMES = (DLINT_TOML, PYPROJECT)
# The protocol's line ends: a lone \r ends a line for the editor (not for dlint or BuildKit, whose
# lines end at \n), and a form feed, U+0085 or U+2028 ends none (str.splitlines ends one at each).
_CLIENT_EOL = re.compile(r"\r\n|\r|\n")
PIECE = 1 << 16  # characters of a long line's piece while a didChange is applied (see _apply)
# Config candidates Configs remembers (two a directory): past them it forgets all, and reads again what it needs.
# One path's candidates always fit (MAX_PATH / 2 directories at most).
MAX_STAMPS = 1 << 14


def wants(path: str, language_id: str | None) -> bool:
    """Linted: what the editor calls `dockerfile`, and any name `dlint check DIR` would find."""
    return language_id == "dockerfile" or is_dockerfile_name(os.path.basename(path))


@dataclass
class Buffer:
    """An open buffer's text as the editor sent it, under the server's own key (pygls's conflated files)."""

    text: str
    version: int | None
    in_step: bool = True  # False once a change to it was lost (DlintServer.out_of_step)


@dataclass
class Linted:
    """The last lint of an open buffer: what hovers and code actions answer from."""

    text: str
    findings: list[Finding]  # suppressed ones dropped
    settings: Settings
    line_starts: list[int]  # dlint's lines: a finding's line and column
    client_starts: list[int]  # the editor's lines: positions sent and received

    @cached_property
    def eol(self) -> str:
        """The line end --fix gives a new line here (CRLF in a mostly-CRLF file), found once for the text
        linted: each code action request counted the line ends of the whole text again."""
        return "\r\n" if mostly_crlf(self.text) else "\n"

    def offset(self, line: int, column: int) -> int:
        """A finding's 1-based line/column as an offset into `text`."""
        i = min(max(line, 1), len(self.line_starts)) - 1
        return min(self.line_starts[i] + max(column, 1) - 1, len(self.text))

    def position(self, offset: int, encoding: str) -> types.Position:
        """`offset` (characters) as an LSP position in the negotiated encoding (UTF-16 by default)."""
        import bisect

        i = max(bisect.bisect_right(self.client_starts, offset) - 1, 0)
        before = self.text[self.client_starts[i] : offset]
        if encoding == types.PositionEncodingKind.Utf16:
            return types.Position(i, len(before.encode("utf-16-le")) // 2)
        if encoding == types.PositionEncodingKind.Utf8:
            return types.Position(i, len(before.encode("utf-8", "surrogatepass")))
        return types.Position(i, len(before))

    def range(self, start: int, end: int, encoding: str) -> types.Range:
        return types.Range(self.position(start, encoding), self.position(end, encoding))


def line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def client_line_starts(text: str) -> list[int]:
    """Where each of the editor's lines starts: positions are counted in these, not in dlint's lines."""
    return [0, *(m.end() for m in _CLIENT_EOL.finditer(text))]


def client_offset(text: str, starts: list[int], position: types.Position, encoding: str) -> int:
    """The editor's `position` as an offset into `text` (`starts` its client_line_starts): past the
    end of its line is the line's end, as the protocol says; past the last line, the end of the text.
    Only what `character` can reach of the line is taken (as many characters as units at most)."""
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
    return start + _column(text[start : min(end, start + position.character)], position.character, encoding)


def _column(line: str, character: int, encoding: str) -> int:
    """A position's `character` on `line` (one of the editor's, its line end kept) as an offset into it, at most
    the end of its text: inside a UTF-16 surrogate pair is after the character, inside a UTF-8 one before it.
    Only the characters the position can reach are encoded (`character` units are at most as many characters):
    encoding the whole line made each edit near the start of a 10 MB line cost 10 MB."""
    end = len(line) - (2 if line.endswith("\r\n") else line.endswith(("\r", "\n")))  # one line end at most
    head = line[: min(character, end)]
    if encoding == types.PositionEncodingKind.Utf16:
        return len(head.encode("utf-16-le", "surrogatepass")[: 2 * character].decode("utf-16-le", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf8:
        data = head.encode("utf-8", "surrogatepass")[:character]
        try:
            return len(data.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            return len(data[: exc.start].decode("utf-8", "surrogatepass"))
    return len(head)


def client_lines(text: str) -> list[str]:
    """The editor's lines, each with its line end; the last has none (and may be empty)."""
    starts = client_line_starts(text)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


def apply_changes(text: str, changes, encoding: str) -> str:
    """A didChange's changes applied in order, ranges by the protocol's lines (a reversed range read forwards).
    The text is split into lines once and each change rewrites only the lines it touches: re-splitting and
    copying the whole text for each change made 10,000 edits to a 40,000-line buffer take minutes."""
    lines: list[str | list[str]] | None = None
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            if lines is None:
                lines = client_lines(text)
            _apply(lines, change, encoding)
        else:
            text, lines = change.text, None
    return text if lines is None else "".join("".join(_pieces(line)) for line in lines)


def _apply(lines: list[str | list[str]], change: types.TextDocumentContentChangePartial, encoding: str) -> None:
    """One change. A line longer than PIECE is kept in pieces and an edit copies only the pieces it touches:
    copying the whole line for each edit made 2,000 edits in one didChange to a 5 MB line take 49 s."""
    (i, k, a), (j, m, b) = sorted((_locate(lines, change.range.start, encoding),
                                   _locate(lines, change.range.end, encoding)))
    head, tail = _pieces(lines[i]), _pieces(lines[j])
    before, after = head[:k], tail[m + 1:]
    middle = head[k][:a] + change.text + tail[m][b:]
    first, last = i, j + 1
    # a \r and this \n: one line end (no piece after the first starts with a line end: see _split)
    if first > 0 and not before and middle.startswith("\n") and _pieces(lines[first - 1])[-1].endswith("\r"):
        first -= 1
        before = _pieces(lines[first])[:]
        middle = before.pop() + middle
    new = client_lines(middle)
    if last < len(lines) and not after:  # the segment ends with the line end of a line that is not the last
        new.pop()
    if len(new) == 1:
        lines[first:last] = [_line([*before, *_split(new[0]), *after])]
    else:
        lines[first:last] = [_line([*before, *_split(new[0])]), *map(_line, map(_split, new[1:-1])),
                             _line([*_split(new[-1]), *after])]


def _locate(lines: list[str | list[str]], position: types.Position, encoding: str) -> tuple[int, int, int]:
    """`position` as (line, piece, offset into it); past the last line is the end of the text, as in client_offset.
    A position between two pieces is at the start of the second."""
    if position.line >= len(lines):
        pieces = _pieces(lines[-1])
        return len(lines) - 1, len(pieces) - 1, len(pieces[-1])
    pieces = _pieces(lines[position.line])
    character = position.character
    for k in range(len(pieces) - 1):
        units = _units(pieces[k], encoding)
        if character < units:
            return position.line, k, _column(pieces[k], character, encoding)
        character -= units
    return position.line, len(pieces) - 1, _column(pieces[-1], character, encoding)


def _units(piece: str, encoding: str) -> int:
    """How many of the encoding's units `piece` (no line end in it) is."""
    if piece.isascii() or encoding not in (types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8):
        return len(piece)
    if encoding == types.PositionEncodingKind.Utf16:
        return len(piece.encode("utf-16-le", "surrogatepass")) // 2
    return len(piece.encode("utf-8", "surrogatepass"))


def _pieces(line: str | list[str]) -> list[str]:
    return line if isinstance(line, list) else [line]


def _split(text: str) -> list[str]:
    """`text` in pieces of at most PIECE characters, the last of at least three: a line end (two at most, at the
    end of its line) is never a piece of its own or cut in two."""
    pieces = [text[n : n + PIECE] for n in range(0, len(text), PIECE)]
    if len(pieces) > 1 and len(pieces[-1]) < 3:
        pieces[-2:] = [pieces[-2] + pieces[-1]]
    return pieces


def _line(pieces: list[str]) -> str | list[str]:
    """A line as one string, or in pieces if it has more than one (an empty one dropped)."""
    pieces = [p for p in pieces if p]
    return pieces if len(pieces) > 1 else pieces[0] if pieces else ""


class Configs:
    """The command line's config discovery, re-read when a config file changes (watched-files
    notifications, or the mtime of every config file consulted, checked on each lint)."""

    def __init__(self) -> None:
        self._resolver = Resolver(Flags())
        self._stamps: dict[str, float | None] = {}  # config candidates seen -> mtime (None: absent)

    def reset(self) -> None:
        self._resolver = Resolver(Flags())
        self._stamps.clear()

    def settings_for(self, path: str) -> Settings:
        """Raises ConfigError for a broken config (the caller reports it and lints with defaults). Only the
        candidates above `path` are looked at, the only ones its settings can come from: each lint looked at
        every candidate seen for any buffer, so 10,000 buffers in their own directories took 383 s to open.
        What it remembers is bounded (MAX_STAMPS): it kept every directory any buffer was ever in, closed or not,
        and 20,000 buffers opened and closed, each in a directory of its own, left 9 MB behind (now 2 MB)."""
        directories = _upwards(os.path.dirname(os.path.realpath(path)))
        stamps = {c: _mtime(c) for c in (os.path.join(d, name) for d in directories for name in CONFIG_NAMES)}
        if len(self._stamps) + len(stamps) > MAX_STAMPS or any(self._stamps.get(c, m) != m for c, m in stamps.items()):
            self.reset()
        self._stamps.update(stamps)
        return self._resolver.settings_for(path)

    @staticmethod
    def read_without_error(path: str, found: str | None) -> set[str]:
        """The config candidates discovery went through for `path` with no error, `found` the config it
        stopped at (None: it found none and went through all): an error shown on any of them is gone."""
        passed: set[str] = set()
        for d in _upwards(os.path.dirname(os.path.realpath(path))):
            passed.update(os.path.join(d, name) for name in CONFIG_NAMES)
            if found is not None and os.path.dirname(found) == d:
                break
        return passed


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def lint_text(text: str, path: str, settings: Settings, reuse: ScriptCache | None = None) -> Linted:
    """The editor's text, linted as `dlint check` would lint the file on disk; nothing is written.
    `reuse` keeps the buffer's shell views between edits: an unchanged RUN is not parsed again.
    A lone surrogate (JSON can carry one, a file cannot) is read as U+FFFD, as Go would."""
    text = without_surrogates(text)
    findings, crashes = lint(parse(text, path), settings.selection, reuse)
    # What `dlint check` shows: inline-silenced findings left out, a rule that crashed an error on line 1.
    kept = with_crashes(path, [f for f in findings if not f.suppressed], crashes)
    return Linted(text, kept, settings, line_starts(text), client_line_starts(text))


__all__ = ["Buffer", "ConfigError", "Configs", "Linted", "apply_changes", "client_offset", "lint_text", "wants"]
