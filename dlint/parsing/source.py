"""Reading a Dockerfile from disk or stdin into text, or saying in one line why not.

BuildKit reads bytes and drops a UTF-8 byte-order mark; everything else in a
Dockerfile has to be UTF-8 text. A file that is not gets a SourceError naming
the first offending byte, instead of a traceback or a misparse. Checks run
on the whole buffer in C (`in`, `bytes.decode`), so a 50 MB file costs
milliseconds.
"""

from __future__ import annotations

import sys

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SourceError(Exception):
    """An input that cannot be read as a Dockerfile; str() is a one-line message."""


def read_source(path: str) -> str:
    """The decoded text of `path`, or of stdin for "-"."""
    return decode_source(read_bytes(path), path)


def read_bytes(path: str) -> bytes:
    """The bytes of `path`, or of stdin for "-"; SourceError when they cannot be read."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, not a Dockerfile") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None


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
