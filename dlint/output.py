"""Where reports and messages go (stdout, a file, stderr) and whether they may be coloured; shared by every command."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from typing import TextIO


class _Escapes(dict):
    """What printable() writes for each character: C0 controls, DEL and C1 controls as `\\xNN`, so a path or a
    Dockerfile cannot end a line (and start a `::set-env` GitHub workflow command), move the cursor or send an
    ESC sequence; every format character (Unicode's Cf) and the line and paragraph separators as `\\uNNNN`
    (`\\UNNNNNNNN` past U+FFFF): the bidirectional controls reorder what follows them on screen (a name that
    reads as another: "Trojan Source"), the zero-width ones and the tags hide text in a name
    (`Docker\\u200bfile` reads as `Dockerfile`), and U+2028 ends a line for many readers. Any other character is
    itself; str.translate asks this mapping for every character, so each escape and each of the first 2,048
    code points is kept, not every character a hostile text can hold."""

    def __missing__(self, c: int) -> str:
        import unicodedata  # only for text that is not printable: not on the bare check's path

        ch = chr(c)
        if c < 0x20 or 0x7F <= c < 0xA0:
            shown = f"\\x{c:02x}"
        elif unicodedata.category(ch) in ("Cf", "Zl", "Zp"):
            shown = f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"
        else:
            shown = ch
        if c < 0x800 or shown != ch:
            self[c] = shown
        return shown


_CONTROLS = _Escapes()
# GitHub's runner runs a `##[command]data` found anywhere in a line of the log (its first syntax), e.g.
# `##[add-mask]DL3008` hides every finding of DL3008, `##[stop-commands]x` every later annotation.
_V1_COMMAND = "##["


SHOWN = 80  # characters of a name, key or value that a one-line message repeats


def shortened(text: str, quote: bool = False, width: int = SHOWN) -> str:
    """`text` for a one-line message: its first `width` characters and its length when longer (names and
    values of megabytes were echoed whole); `quote` quotes the text, the length outside the quotes."""
    head = repr(text[:width]) if quote else text[:width]
    return head if len(text) <= width else f"{head}... ({len(text):,} characters)"


def clipped(text: str, width: int, mark: str = "…") -> str:
    """`text` cut to `width` characters, `mark` ending it when it was longer: for a table cell or a line."""
    return text if len(text) <= width else text[: width - len(mark)] + mark


def printable(text: str) -> str:
    """`text` with every control character escaped as `\\xNN` (and format characters as `\\uNNNN`: _Escapes),
    for a terminal or a CI log; so is each byte of a path that is not UTF-8 (Python holds it as a lone
    surrogate, which no encoder writes), and `##[` is `#\\x23[`, which GitHub's runner does not run."""
    if text.isprintable() and _V1_COMMAND not in text:
        return text
    return utf8_text(text).translate(_CONTROLS).replace(_V1_COMMAND, "#\\x23[")


def inert_line(line: str) -> str:
    """`line` for a CI log, its leading `::` (after blanks) as `\\x3a:`: GitHub's runner takes such a line for
    a workflow command (`::add-mask::`, `::stop-commands::`, `::error::`); a path that starts a line can."""
    stripped = line.lstrip()
    if not stripped.startswith("::"):
        return line
    return line[: len(line) - len(stripped)] + "\\x3a" + stripped[1:]


def utf8_text(text: str) -> str:
    """`text` with each lone surrogate (a byte of a path that is not UTF-8) as the text `\\xNN`: what no
    encoder writes, and a JSON reader turns into U+FFFD or refuses."""
    if text.isascii():  # nearly always: no surrogate, nothing to do
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")  # bytes from the file system: back to those bytes
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # any other lone surrogate: its three UTF-8 bytes
    return raw.decode("utf-8", "backslashreplace")


def printable_lines(text: str) -> str:
    """printable() line by line: the line breaks of a multi-line report stay, every other control goes,
    and no line starts a GitHub workflow command (inert_line)."""
    return "\n".join(inert_line(printable(line)) for line in text.split("\n"))


def printable_patch(text: str) -> str:
    """A patch as it may reach a terminal or a CI log: its tabs and CRLF line ends stay, since a patch of a
    file with them needs them, and every other control is escaped as printable() does. A line holding one
    then no longer applies: the Dockerfile held an escape sequence, and `--fix` is the way to fix it. So does
    the file's byte order mark (U+FEFF after a hunk line's ` `, `-` or `+`): the patch would not apply without it."""
    return "\n".join(inert_line(_printable_line(line, line[:2] if line[1:2] == "\ufeff" else ""))
                     for line in text.split("\n"))


def printable_text(text: str) -> str:
    """A file's text (`--fix -`'s fixed Dockerfile) as it may reach a terminal: printable_patch's rules, so
    its line breaks, tabs and CRLF ends stay and every other control (a byte order mark too) is escaped."""
    return "\n".join(inert_line(_printable_line(line)) for line in text.split("\n"))


def _printable_line(line: str, lead: str = "") -> str:
    """One line printable() but for its tabs and a CR that ends it; `lead` (a hunk's ` `+BOM) kept as it is."""
    if line.isprintable() and _V1_COMMAND not in line:
        return line
    end = "\r" if line.endswith("\r") else ""
    body = line[len(lead) : len(line) - len(end)]
    return lead + "\t".join(map(printable, body.split("\t"))) + end


class _LossyStream:
    """stderr as dlint writes it: a message that cannot be written (`2>&-`, `2>/dev/full`, a reader
    gone) is lost rather than raised, since there is nowhere left to say so, and a traceback from it
    would turn a clean run's exit 0, or a bad input's 2, into 1."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):  # ValueError: written after the stream was closed
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def guard_stderr() -> None:
    """Make sys.stderr a stream every write to succeeds on; a closed one (None) writes to /dev/null."""
    if isinstance(sys.stderr, _LossyStream):
        return
    stream = sys.stderr if sys.stderr is not None else open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
    sys.stderr = _LossyStream(stream)  # type: ignore[assignment]


def say(message: str, err: TextIO | None = None) -> None:
    """One line for the user on stderr (or `err`), the way every dlint message reads."""
    (err or sys.stderr).write(f"dlint: {printable(message)}\n")


class OutputError(Exception):
    """A report could not be written: the one-line reason."""


def write_output(text: str, output: str | None) -> None:
    """`text` to stdout (None or "-") or to the file `output`, atomically: see OutputFile."""
    if output is None or output == "-":
        _write_stdout(text)
        return
    out = OutputFile(output)
    try:
        out.write(text)
    except BaseException:
        out.discard()
        raise
    out.commit()


def _write_stdout(text: str) -> None:
    """BrokenPipeError (the reader left: `| head`) goes to the caller, which exits quietly; any other
    failure (`>&-`, `> /dev/full`) is an OutputError, and stdout then points at /dev/null so that
    the interpreter's last flush cannot fail again with a traceback."""
    if sys.stdout is None:
        raise OutputError("cannot write stdout: it is closed")
    try:
        _write_all(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(f"cannot write stdout: {exc.strerror or exc}") from None


def _write_all(text: str) -> None:
    """`text` on stdout, every byte or an error. A pipe whose reader leaves during a write makes that
    write return short, which Python's buffered stdout takes for done (one file's long report is one
    write: the run said its summary and exited 1, not 141); a loop of os.write tries the rest and meets EPIPE."""
    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO): its own write
        out.write(text)
        out.flush()
        return
    out.flush()
    data = memoryview(text.encode(out.encoding or "utf-8", out.errors or "strict"))
    while data:
        data = data[os.write(fd, data):]


def _is_stream(path: str) -> bool:
    """A FIFO, a device or a socket, possibly through a link (/dev/stdout is one): written in place.
    A regular file, a directory (refused by the rename) and a missing path are replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # missing, or a dangling link: a new file replaces it
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


class OutputFile:
    """A report written to the file `output` piece by piece, as files are linted.

    It goes to a temporary file beside `output`, renamed over `output` by commit():
    a reader never sees half a report, a failed write (disk full) leaves the earlier
    report and no temporary file, and a link planted at `output` is replaced, not
    followed. The file keeps an existing file's mode. A stream (/dev/stdout,
    /dev/null, a FIFO, >(...)) has nothing to replace and is written directly.
    Every failure is an OutputError naming `output`.
    """

    def __init__(self, output: str) -> None:
        self.output = output
        self._tmp: str | None = None
        with self._errors():
            if _is_stream(output):
                self._fh = open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed by commit/discard
                return
            import tempfile  # only when writing a file: not on the bare check's path

            directory, name = os.path.split(os.path.abspath(output))
            fd, self._tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            self._fh = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str) -> None:
        with self._errors():
            self._fh.write(text)

    def commit(self) -> None:
        with self._errors():
            try:
                self._fh.close()
                if self._tmp is not None:
                    os.chmod(self._tmp, _mode_for(self.output))
                    os.replace(self._tmp, self.output)
                    self._tmp = None
            finally:
                self.discard()

    def discard(self) -> None:
        """Leave `output` as it was: the temporary file goes."""
        try:
            self._fh.close()
        except (OSError, UnicodeError):
            pass  # what could not be written is being thrown away
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return _as_output_error(self.output)


@contextlib.contextmanager
def _as_output_error(output: str) -> Iterator[None]:
    """OSError and UnicodeError (a report the encoder cannot write) as one-line OutputErrors."""
    try:
        yield
    except (OSError, UnicodeError) as exc:
        raise OutputError(f"cannot write {output}: {getattr(exc, 'strerror', None) or exc}") from None


def _mode_for(path: str) -> int:
    """An existing regular file's mode; otherwise what the umask makes of 0o666."""
    try:
        if os.path.isfile(path) and not os.path.islink(path):
            return stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def use_colour(stream) -> bool:
    """ANSI colour only for a person at a terminal; NO_COLOR (https://no-color.org) counts when non-empty."""
    return stream is not None and stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
