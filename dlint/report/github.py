"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

    ::error file=Dockerfile,line=3,col=5,endLine=3,endColumn=18,title=DL3009::message

Escaping follows the runner's rules: `%`, CR and LF in the message; those plus
`:` and `,` in property values.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.paths import shown_path

# GitHub has three annotation levels; info and style findings are advice, not warnings.
COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice", Level.STYLE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    lines = []
    for f in findings:
        props = {
            "file": shown_path(f.file),
            "line": f.line,
            "col": f.column,
            "endLine": f.end_line,
            "endColumn": f.end_column,
            "title": f.code,
        }
        joined = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items())
        lines.append(f"::{COMMANDS[f.level]} {joined}::{escape_data(f.message)}\n")
    return "".join(lines)
