"""`path:line:col: CODE [level] message`, one line per finding, coloured on a terminal;
control characters in paths and messages escaped (output.printable), a GitHub command made inert."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dlint.lint.finding import Finding, Level
from dlint.output import inert_line, printable

_COLOURS = {Level.ERROR: "31", Level.WARNING: "33", Level.INFO: "36", Level.STYLE: "35"}


def render(findings: Iterable[Finding], files: Sequence[str] = (), colour: bool = False) -> str:
    lines = []
    for f in findings:
        level = f"[{f.level}]"
        if colour:
            level = f"\x1b[{_COLOURS[f.level]}m{level}\x1b[0m"
        lines.append(inert_line(f"{printable(f.file)}:{f.line}:{f.column}: {f.code} {level} {printable(f.message)}"))
    return "".join(line + "\n" for line in lines)
