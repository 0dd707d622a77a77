"""File paths as CI tools want them: relative to the checkout, forward slashes."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from dlint.lint.finding import Finding


def display_path(path: str) -> str:
    """Relative to the working directory when inside it (absolute otherwise); `-` for stdin."""
    if path == "-":
        return path
    p = Path(path)
    if p.is_absolute():
        with suppress(ValueError):
            p = p.relative_to(Path.cwd())
    return p.as_posix()


def by_file(findings: Iterable[Finding], files: Iterable[str]) -> dict[str, list[Finding]]:
    """Findings per file, in order: every linted file (clean ones with []), then any others."""
    out: dict[str, list[Finding]] = {path: [] for path in files}
    for f in findings:
        out.setdefault(f.file, []).append(f)
    return out
