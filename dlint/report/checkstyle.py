"""Checkstyle XML, read by Jenkins' Warnings NG, reviewdog, SonarQube and most CI plug-ins."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.document import whole, xml_frame, xml_part
from dlint.report.paths import shown_path
from dlint.report.xmltext import clean

# Checkstyle's severities are error, warning, info (and ignore).
SEVERITIES = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "info", Level.STYLE: "info"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """A `<file>` element per file as it is done (clean files as empty ones)."""

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        node = ET.Element("file", name=clean(shown_path(path)))
        for f in findings:
            ET.SubElement(
                node,
                "error",
                line=str(f.line),
                column=str(f.column),
                severity=SEVERITIES[f.level],
                message=clean(f.message),
                source=f"dlint.{f.code}",
            )
        return xml_part(node, 1)

    def finish(self) -> tuple[str, str]:
        root = ET.Element("checkstyle", version="4.3")
        return xml_frame(root, root)
