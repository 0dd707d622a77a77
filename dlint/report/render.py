"""Picks the reporter module for a `--format` name; each is imported only when used.

Every reporter is `render(findings, files) -> str` (text also takes `colour`).
Messages (and suppression reasons) reach every reporter with control characters
escaped (output.printable): they quote Dockerfile words, which may hold ESC or a
newline. Paths are each reporter's, through report.paths. Only SARIF can say "found, but suppressed in the source", so the others never
see inline-suppressed findings.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import replace

from dlint.lint.finding import Finding
from dlint.output import printable

FORMATS = (
    "text", "json", "sarif", "github", "gitlab", "checkstyle", "junit", "sonarqube", "rdjson", "gnu", "markdown",
)
SHOWS_SUPPRESSED = frozenset({"sarif"})


def render(fmt: str, findings: Sequence[Finding], files: Sequence[str] = (), colour: bool = False) -> str:
    """`files`: every file linted, in order (JUnit and Checkstyle list clean ones too)."""
    module = reporter(fmt)
    if fmt == "text":
        return module.render(shown(fmt, findings), files, colour=colour)
    return module.render(shown(fmt, findings), files)


def reporter(fmt: str):
    return importlib.import_module(f"dlint.report.{fmt}")


def shown(fmt: str, findings: Sequence[Finding]) -> list[Finding]:
    """The findings `fmt` shows, their texts printable."""
    return [_printable(f) for f in findings if fmt in SHOWS_SUPPRESSED or not f.suppressed]


def _printable(f: Finding) -> Finding:
    """`f` itself when its texts are printable already (nearly always): no copy."""
    message, suppressed = printable(f.message), f.suppressed and printable(f.suppressed)
    if message is f.message and suppressed is f.suppressed:
        return f
    return replace(f, message=message, suppressed=suppressed)
