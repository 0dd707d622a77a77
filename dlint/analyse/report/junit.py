"""JUnit XML for CI test tabs: one testcase per budget, failing with its reason; the build is a testcase too.

A budget that could not be checked because the build failed is `skipped`,
never passed: a red build must not show green budgets.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dlint.analyse.steps import AnalysisResult
from dlint.report.xmltext import clean, to_text

CLASSNAME = "dlint.analyse"


def render(result: AnalysisResult) -> str:
    verdicts = result.gate.verdicts if result.gate else []
    failures = sum(v.passed is False for v in verdicts) + (1 if result.error else 0)
    skipped = sum(v.passed is None for v in verdicts)
    counts = {"tests": str(len(verdicts) + 1), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", name="dlint analyse", **counts)
    suite = ET.SubElement(root, "testsuite", name=clean(f"dlint analyse {result.dockerfile}"), **counts)
    build = ET.SubElement(suite, "testcase", classname=CLASSNAME, name="build", file=clean(result.dockerfile))
    if result.error:
        failed = result.failed_step
        where = f" at line {failed.line}" if failed and failed.line else ""
        failure = ET.SubElement(build, "failure", type="build", message=clean(f"build failed{where}: {result.error}"))
        failure.text = clean("\n".join(result.log_tail))
    for verdict in verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"{CLASSNAME}.budget",
                             name=clean(f"--{verdict.budget} {verdict.limit}"), file=clean(result.dockerfile))
        if verdict.passed is None:
            ET.SubElement(case, "skipped", message=clean(verdict.message))
        elif not verdict.passed:
            failure = ET.SubElement(case, "failure", type=verdict.budget, message=clean(verdict.message))
            failure.text = clean("\n".join(verdict.details or (verdict.message,)))
        else:
            ET.SubElement(case, "system-out").text = clean(f"measured: {verdict.measured}; {verdict.message}")
    return to_text(root)
