"""Reading a Dockerfile from disk or stdin into text, or saying in one line why not.

BuildKit reads bytes and drops a UTF-8 byte-order mark; everything else in a
Dockerfile has to be UTF-8 text. A file that is not gets a SourceError naming
the first offending byte, instead of a traceback or a misparse. Checks run
on the whole buffer in C (`in`, `bytes.decode`), so a 50 MB file (over the
1 MB default --max-file-size) costs milliseconds.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO

# Bytes; --max-file-size changes it. 40 times the biggest real Dockerfile in the corpus (25 KB), and the bound on
# memory: a file of short RUNs costs ~250 bytes per byte while its rules run, so ~250 MB at the limit.
MAX_FILE_SIZE = 1_000_000
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SourceError(Exception):
    """An input that cannot be read as a Dockerfile; str() is a one-line message."""


def read_source(path: str) -> str:
    """The decoded text of `path`, or of stdin for "-"."""
    return decode_source(read_bytes(path), path)


def read_bytes(path: str, max_size: int = MAX_FILE_SIZE, kind: str = "Dockerfile", limit: str = "--max-file-size",
               follow: bool = True) -> bytes:
    """The bytes of `path`, or of stdin for "-"; SourceError when they cannot be read.

    Only a regular file is read: a FIFO, a device (/dev/zero, /dev/urandom) or a socket
    would hang dlint or never end, so each is refused on its stat, unopened; the open is
    also non-blocking, in case a FIFO replaced the file in between. Over `max_size` bytes
    is refused, unread. `kind` and `limit` name the file and the cap in messages
    (a config file reuses this with its own). `follow=False`: a symbolic link at `path` is refused
    as not a regular file, never read through (dlint's own cache, where a link can only be planted)."""
    if path == "-":
        return _read_stdin(max_size, limit)
    f = open_regular(path, kind, follow)
    st = os.fstat(f.fileno())
    if st.st_size > max_size:  # refused on its stat: a planted 1 GB file costs no read
        f.close()
        raise too_large(path, max_size, limit)
    with f:
        try:
            # As much as the stat says, not a buffer of max_size: allocating (and giving back) 1 MB
            # per file cost more than reading a Dockerfile. A file grown since is read on, to the cap.
            data = f.read(min(st.st_size, max_size) + 1)
            if len(data) > st.st_size:
                data += f.read(max_size + 1 - len(data))
        except OSError as e:
            raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None
    return _capped(data, path, max_size, limit)


def open_regular(path: str, kind: str, follow: bool = True, buffering: int = -1) -> BinaryIO:
    """`path` opened for reading when it is a regular file; SourceError, one line, when
    not. A FIFO, a device or a socket would hang a reader or never end: each is refused on its stat,
    unopened, and the open is non-blocking in case a FIFO replaced the file in between."""
    try:
        _regular(path, (os.stat if follow else os.lstat)(path).st_mode, kind)
        nofollow = 0 if follow else getattr(os, "O_NOFOLLOW", 0)  # a link swapped in since the stat
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | nofollow)
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        _regular(path, os.fstat(fd).st_mode, kind)
    except SourceError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb", buffering=buffering)


def _regular(path: str, mode: int, kind: str) -> None:
    if stat.S_ISDIR(mode):
        raise SourceError(f"{path}: is a directory, not a {kind}")
    if not stat.S_ISREG(mode):
        raise SourceError(f"{path}: not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'special file')}), not read")


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


def _read_stdin(max_size: int, limit: str) -> bytes:
    if sys.stdin is None:  # `dlint check - <&-`
        raise SourceError("<stdin>: cannot read: stdin is closed")
    try:
        data = sys.stdin.buffer.read(max_size + 1)
    except (OSError, ValueError) as e:
        raise SourceError(f"<stdin>: cannot read: {getattr(e, 'strerror', None) or e}") from None
    return _capped(data, "<stdin>", max_size, limit)


def _capped(data: bytes, name: str, max_size: int, limit: str) -> bytes:
    if len(data) > max_size:
        raise too_large(name, max_size, limit)
    return data


def too_large(name: str, max_size: int, limit: str) -> SourceError:
    """The one line for input over its cap (the language server says it of a buffer too)."""
    return SourceError(f"{name}: larger than {max_size} bytes ({limit}), not read")


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate as U+FFFD, as Go decodes one. Text from a file never holds
    one, but an editor's buffer or a JSON string can, and no UTF-8 encoder (tree-sitter's lexer
    included: it crashes) takes it. U+FFFD is as long in every unit (characters, UTF-16, the three
    bytes `surrogatepass` gives), so offsets and positions hold.

    Not a regex: compiling the surrogate range costs 13 ms, once per run, for a case almost no
    Dockerfile has."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def has_bom(data: bytes) -> bool:
    return data.startswith(_BOM)


def decode_source(data: bytes, name: str) -> str:
    """`data` as text without its byte-order mark; SourceError if it is binary or not UTF-8.

    `name` is what messages call it: a path, or "-" for stdin."""
    name = "<stdin>" if name == "-" else name
    skipped = len(_BOM) if has_bom(data) else 0
    if data.startswith(_UTF16_BOMS):
        raise SourceError(f"{name}: file is UTF-16 encoded; Dockerfiles must be UTF-8")
    nul = data.find(b"\x00", skipped)
    if nul >= 0:
        raise SourceError(f"{name}: binary file (NUL byte at offset {nul}), not a Dockerfile")
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = skipped + e.start
        raise SourceError(
            f"{name}: invalid UTF-8 at byte offset {offset} (byte 0x{data[offset]:02x}); Dockerfiles must be UTF-8"
        ) from None
