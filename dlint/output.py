"""Where reports and messages go (stdout, a file, stderr) and whether they may be coloured; shared by every command."""

from __future__ import annotations

import os
import stat
import sys

# C0 controls, DEL and C1 controls, each shown as `\xNN`: a path or a Dockerfile cannot end a line
# (and start a `::set-env` GitHub workflow command), move the cursor or send an ESC sequence.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """`text` with every control character escaped as `\\xNN`, for a terminal or a CI log; so is each
    byte of a path that is not UTF-8 (Python holds it as a lone surrogate, which no encoder writes)."""
    if text.isprintable():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")  # bytes from the file system: back to those bytes
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # any other lone surrogate: its three UTF-8 bytes
    return raw.decode("utf-8", "backslashreplace").translate(_CONTROLS)


def say(message: str) -> None:
    """One line for the user on stderr, the way every dlint message reads."""
    sys.stderr.write(f"dlint: {printable(message)}\n")


class OutputError(Exception):
    """A report could not be written: the one-line reason."""


def write_output(text: str, output: str | None) -> None:
    """`text` to stdout (None or "-") or to the file `output`, atomically: see _replace."""
    if output is None or output == "-":
        _write_stdout(text)
        return
    try:
        if _is_stream(output):  # /dev/stdout, /dev/null, a FIFO, >(...): nothing to replace
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            _replace(output, text)
    except (OSError, UnicodeError) as exc:
        raise OutputError(f"cannot write {output}: {getattr(exc, 'strerror', None) or exc}") from None


def _write_stdout(text: str) -> None:
    """BrokenPipeError (the reader left: `| head`) goes to the caller, which exits quietly; any other
    failure (`>&-`, `> /dev/full`) is an OutputError, and stdout then points at /dev/null so that
    the interpreter's last flush cannot fail again with a traceback."""
    if sys.stdout is None:
        raise OutputError("cannot write stdout: it is closed")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(f"cannot write stdout: {exc.strerror or exc}") from None


def _is_stream(path: str) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)  # follows links: /dev/stdout is one
    except OSError:
        return False  # missing, or a dangling link: a new file replaces it


def _replace(path: str, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: a reader never sees half a
    report, a failed write (disk full) leaves the earlier report and no temporary file, and a link
    planted at `path` is replaced, not followed. The file keeps an existing file's mode."""
    import tempfile  # only when writing a file: not on the bare check's path

    directory, name = os.path.split(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode) if os.path.isfile(path) and not os.path.islink(path) else None
    except OSError:
        mode = None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def use_colour(stream) -> bool:
    """ANSI colour only for a person at a terminal; NO_COLOR (https://no-color.org) counts when non-empty."""
    return stream is not None and stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
