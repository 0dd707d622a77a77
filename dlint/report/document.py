"""Whole-document reports (SARIF, JUnit, Checkstyle, SonarQube, rdjson, Markdown) written one file at a time.

A document's format module has a `Document`: `part(path, findings)` renders one
file's piece as soon as that file is done and keeps only what the rest of the
document needs (the rules used, counts); `finish()` gives the text before the
parts and after them, once the last file is done.
report.stream spools the parts (memory bounded), then writes head, parts, tail;
`whole` gives the same text for findings held in a list. So the memory of a run
over 100,000 files is that of its rule table, not of its findings.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Protocol

from dlint.lint.finding import Finding
from dlint.report.paths import by_file
from dlint.report.xmltext import to_text

SLOT = "\x00"  # the streamed array's place in a JSON head: written "\u0000", which nothing else there holds
_XML_SLOT = "dlint-parts"  # the streamed elements' place in an XML head


class Document(Protocol):
    def part(self, path: str, findings: Sequence[Finding]) -> str: ...
    def finish(self) -> tuple[str, str]: ...


def whole(document: Document, findings: Sequence[Finding], files: Sequence[str]) -> str:
    parts = "".join(document.part(path, found) for path, found in by_file(findings, files).items())
    head, tail = document.finish()
    return head + parts + tail


class JsonArray:
    """The one streamed array of a JSON document, in `json.dumps(indent=2)`'s layout: its items are
    written as they come, the rest of the document (`frame`) once they are all known."""

    def __init__(self, skeleton: dict) -> None:
        """`skeleton`: the document's shape, `SLOT` where the array goes (it fixes the items' indent)."""
        self._indent = " " * (2 * self._depth(_split(skeleton)[0]))
        self.count = 0

    def items(self, values) -> str:
        out = []
        for value in values:
            text = json.dumps(value, indent=2).replace("\n", "\n" + self._indent)
            out.append(("\n" if not self.count else ",\n") + self._indent + text)
            self.count += 1
        return "".join(out)

    def frame(self, document: dict) -> tuple[str, str]:
        """The text before the items and after them, for `document` with `SLOT` where they go."""
        head, tail = _split(document)
        close = "\n" + self._indent[2:] + "]" if self.count else "]"
        return head + "[", close + tail

    @staticmethod
    def _depth(head: str) -> int:
        key_line = head[head.rfind("\n") + 1:]
        return (len(key_line) - len(key_line.lstrip(" "))) // 2 + 1


def _split(document: dict) -> tuple[str, str]:
    head, _, tail = (json.dumps(document, indent=2) + "\n").partition(json.dumps(SLOT))
    return head, tail


def xml_frame(root: ET.Element, parent: ET.Element) -> tuple[str, str]:
    """`root` serialised (xmltext.to_text) with the streamed elements' place under `parent`: the text before, after."""
    ET.SubElement(parent, _XML_SLOT)
    text = to_text(root)
    marker = f"<{_XML_SLOT} />\n"
    at = text.index(marker)
    line_start = text.rfind("\n", 0, at) + 1
    return text[:line_start], text[at + len(marker):]


def xml_part(element: ET.Element, depth: int) -> str:
    """One streamed element, indented as to_text would indent it `depth` levels down."""
    ET.indent(element, level=depth)
    return "  " * depth + ET.tostring(element, encoding="unicode") + "\n"
