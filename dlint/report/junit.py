"""JUnit XML for CI test-report views: a testcase per linted file, a failure per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dlint.lint.finding import Finding
from dlint.report.document import whole, xml_frame, xml_part
from dlint.report.paths import shown_path
from dlint.report.xmltext import clean


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """A testcase per file as it is done; the counts, which head the document, once the last file is."""

    def __init__(self) -> None:
        self._tests = self._failing = 0

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        self._tests += 1
        self._failing += bool(findings)
        shown = clean(shown_path(path))
        case = ET.Element("testcase", classname="dlint", name=shown, file=shown)
        for f in findings:
            where = f"{shown}:{f.line}:{f.column}"
            failure = ET.SubElement(case, "failure", type=f.code, message=clean(f"{where}: {f.code} {f.message}"))
            failure.text = clean(f"{where}: {f.code} [{f.level}] {f.name}: {f.message}")
        return xml_part(case, 2)

    def finish(self) -> tuple[str, str]:
        tests, failing = str(self._tests), str(self._failing)
        root = ET.Element("testsuites", name="dlint", tests=tests, failures=failing, errors="0")
        suite = ET.SubElement(root, "testsuite", name="dlint", tests=tests, failures=failing, errors="0", skipped="0")
        return xml_frame(root, suite)
