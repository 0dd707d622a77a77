"""Picks the reporter module for a `--format` name; each is imported only when used.

Every reporter is `render(findings, files) -> str` (text also takes `colour`).
Only SARIF can say "found, but suppressed in the source", so the others never
see inline-suppressed findings.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from dlint.lint.finding import Finding

FORMATS = (
    "text", "json", "sarif", "github", "gitlab", "checkstyle", "junit", "sonarqube", "rdjson", "gnu", "markdown",
)
SHOWS_SUPPRESSED = frozenset({"sarif"})


def render(fmt: str, findings: Sequence[Finding], files: Sequence[str] = (), colour: bool = False) -> str:
    """`files`: every file linted, in order (JUnit and Checkstyle list clean ones too)."""
    module = importlib.import_module(f"dlint.report.{fmt}")
    if fmt not in SHOWS_SUPPRESSED:
        findings = [f for f in findings if not f.suppressed]
    if fmt == "text":
        return module.render(findings, files, colour=colour)
    return module.render(findings, files)
