"""GNU's `file:line:col: severity: message`, the line editors' compile modes jump from
(Emacs `M-x compile`, Vim's quickfix with the default errorformat).

Severity is GCC's wording, which those modes colour: error, warning, and note for
info and style findings. Control characters in paths and messages are escaped
(output.printable): a line is one finding, and runs no GitHub workflow
command (output.inert_line).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dlint.lint.finding import Finding, Level
from dlint.output import inert_line, printable

SEVERITIES = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note", Level.STYLE: "note"}


def render(findings: Iterable[Finding], files: Sequence[str] = ()) -> str:
    return "".join(
        inert_line(f"{printable(f.file)}:{f.line}:{f.column}: {SEVERITIES[f.level]}: {printable(f.message)} [{f.code}]")
        + "\n"
        for f in findings
    )
