"""Reading input: what a user sees for files that are not UTF-8 Dockerfiles."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from dlint.parsing.dockerfile import parse
from dlint.parsing.source import SourceError, decode_source, read_source


def test_reads_utf8_and_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbfFROM alpine\nRUN echo \xc3\xa9t\xc3\xa9\n")
    text = read_source(str(path))
    assert text == "FROM alpine\nRUN echo été\n"
    df = parse(text, str(path))
    assert df.errors == [] and df.position(df.instructions[0].start_offset) == (1, 1)


def test_binary_file_is_named_with_the_nul_offset():
    with pytest.raises(SourceError, match=r"^x.bin: binary file \(NUL byte at offset 4\), not a Dockerfile$"):
        decode_source(b"FROM\x00\x01\x02", "x.bin")


def test_utf16_file_says_so():
    with pytest.raises(SourceError, match="UTF-16"):
        decode_source("FROM a\n".encode("utf-16"), "w.Dockerfile")


@pytest.mark.parametrize(
    ("data", "offset"),
    [(b"FROM a\nRUN \xff\n", 11), (b"\xef\xbb\xbfFROM a\xe9b\n", 9), (b"FROM a \xe2\x82", 7)],
)
def test_invalid_utf8_reports_the_byte_offset_in_the_file(data, offset):
    with pytest.raises(SourceError) as err:
        decode_source(data, "D")
    message = str(err.value)
    assert f"invalid UTF-8 at byte offset {offset} (byte 0x{data[offset]:02x})" in message
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SourceError, match=r"nope: cannot read: No such file or directory$"):
        read_source(str(tmp_path / "nope"))
    with pytest.raises(SourceError, match="is a directory"):
        read_source(str(tmp_path))


def read_as_unprivileged_user(directory: Path, name: str) -> str:
    """read_source's message for `directory/name`, read by a user without root's right to read anything.

    CI runs as root, which reads a mode-000 file: there the read happens in a child that drops to
    nobody, after moving into `directory` (pytest's temporary directories are closed to others).
    """
    if os.geteuid() != 0:
        try:
            read_source(str(directory / name))
        except SourceError as e:
            return str(e)
        return "read"
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(rfd)
        try:
            os.chdir(directory)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            read_source(name)
            os.write(wfd, b"read")
        except SourceError as e:
            os.write(wfd, str(e).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        message = r.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_file(tmp_path):
    tmp_path.chmod(0o755)
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\n")
    name = "Dockerfile" if os.geteuid() == 0 else str(path)
    assert read_as_unprivileged_user(tmp_path, "Dockerfile") == "read"  # the same reader: only the mode differs
    path.chmod(0)
    assert read_as_unprivileged_user(tmp_path, "Dockerfile") == f"{name}: cannot read: Permission denied"


def test_dash_reads_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM a\n")))
    assert read_source("-") == "FROM a\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\x00")))
    with pytest.raises(SourceError, match="^<stdin>: binary"):
        read_source("-")


def test_empty_file_is_text_that_parses_to_an_error(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"")
    df = parse(read_source(str(path)))
    assert [(e.message, e.line) for e in df.errors] == [("file with no instructions", 1)]


def test_large_file_decodes(tmp_path):
    data = b"FROM a\nRUN <<EOF\n" + b"echo \xc3\xa9 line\n" * 3_000_000 + b"EOF\n"  # ~48 MB
    text = decode_source(data, "big")
    assert len(text) == len(data) - 3_000_000
    with pytest.raises(SourceError, match=f"offset {len(data)}"):
        decode_source(data + b"\xff", "big")
