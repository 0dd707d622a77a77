"""Checkstyle XML, read by Jenkins' Warnings NG, reviewdog, SonarQube and most CI plug-ins."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.paths import by_file, shown_path
from dlint.report.xmltext import clean, to_text

# Checkstyle's severities are error, warning, info (and ignore).
SEVERITIES = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "info", Level.STYLE: "info"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    root = ET.Element("checkstyle", version="4.3")
    for path, found in by_file(findings, files).items():  # clean files as empty elements
        node = ET.SubElement(root, "file", name=clean(shown_path(path)))
        for f in found:
            ET.SubElement(
                node,
                "error",
                line=str(f.line),
                column=str(f.column),
                severity=SEVERITIES[f.level],
                message=clean(f.message),
                source=f"dlint.{f.code}",
            )
    return to_text(root)
