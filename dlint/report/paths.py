"""File paths as CI tools want them: relative to the checkout, forward slashes, and written so that
any name the file system holds (bytes that are not UTF-8, a newline, an ESC) leaves every report
valid and one finding per line: `\\xNN` in text (shown_path), percent-encoded bytes in URIs (path_uri)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from dlint.lint.finding import Finding
from dlint.output import printable


STDIN = "-"  # the path argument that reads stdin, and its name in reports


def display_path(path: str) -> str:
    """Relative to the working directory when inside it (absolute otherwise); `-` for stdin, `./-` for a
    file named `-` there (`./-`, or its absolute path)."""
    if path == STDIN:
        return path
    p = Path(path)
    if p.is_absolute():
        with suppress(ValueError):
            p = p.relative_to(Path.cwd())
    return _not_stdin(p.as_posix())


def _not_stdin(shown: str) -> str:
    """A file's shown path, which `-` alone would make stdin's."""
    return f"./{STDIN}" if shown == STDIN else shown


def shown_path(path: str) -> str:
    """display_path with control characters and bytes that are not UTF-8 as `\\xNN` (output.printable):
    the one spelling of a path in every report but SARIF's URIs."""
    return printable(display_path(path))


def path_uri(path: str) -> str:
    """display_path as a relative URI reference: each byte of its file-system name percent-encoded
    where RFC 3986 wants it (a name that is not UTF-8 keeps its bytes; `quote` alone fails on them),
    its dot segments resolved as a URI reader resolves them (uri_path)."""
    from urllib.parse import quote  # only SARIF needs it: not on the bare check's path

    return quote(os.fsencode(uri_path(path)))


def uri_path(path: str) -> str:
    """display_path with `.` and `..` segments removed: `sub/../../x` is `../x`, outside the checkout,
    which a URI relative to the checkout's root must not reach by its dot segments."""
    shown = display_path(path)
    return shown if path == STDIN else _not_stdin(posixpath.normpath(shown))


def by_file(findings: Iterable[Finding], files: Iterable[str]) -> dict[str, list[Finding]]:
    """Findings per file, in order: every linted file (clean ones with []), then any others."""
    out: dict[str, list[Finding]] = {path: [] for path in files}
    for f in findings:
        out.setdefault(f.file, []).append(f)
    return out
