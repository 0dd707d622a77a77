"""JUnit XML for CI test-report views: a testcase per linted file, a failure per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dlint.lint.finding import Finding
from dlint.report.paths import by_file, shown_path
from dlint.report.xmltext import clean, to_text


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    grouped = by_file(findings, files)
    tests, failing = str(len(grouped)), str(sum(1 for found in grouped.values() if found))
    root = ET.Element("testsuites", name="dlint", tests=tests, failures=failing, errors="0")
    suite = ET.SubElement(root, "testsuite", name="dlint", tests=tests, failures=failing, errors="0", skipped="0")
    for path, found in grouped.items():
        shown = clean(shown_path(path))
        case = ET.SubElement(suite, "testcase", classname="dlint", name=shown, file=shown)
        for f in found:
            where = f"{shown}:{f.line}:{f.column}"
            failure = ET.SubElement(case, "failure", type=f.code, message=clean(f"{where}: {f.code} {f.message}"))
            failure.text = clean(f"{where}: {f.code} [{f.level}] {f.name}: {f.message}")
    return to_text(root)
