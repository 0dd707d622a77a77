"""A pull-request summary (GitHub's `$GITHUB_STEP_SUMMARY`, a merge-request note): the verdict first.

Then the figures a reviewer asks about, in that order: the image total and its
change against the baseline, the five biggest steps, the waste found, the
cache hit rate. The full step table is folded away at the end.
"""

from __future__ import annotations

from dlint.analyse.report import figures
from dlint.analyse.steps import AnalysisResult, StepRecord
from dlint.analyse.units import human_size
from dlint.output import clipped, printable
from dlint.report.markdown import cell, code_span

BIGGEST = 5
WASTE_SHOWN = 10
STEPS_SHOWN = 1000  # rows of the step table: GitHub takes a job summary of 1 MiB, and a row may hold ~700 characters
MARKS = {True: "✅ pass", False: "❌ fail", None: "⏭ not checked"}


def render(result: AnalysisResult) -> str:
    gate = result.gate
    out = [f"## dlint analyse {_code(result.dockerfile, 200)}: {_headline(result)}", ""]
    if result.error:
        failed = result.failed_step
        where = f" at line {failed.line}" if failed and failed.line else ""
        out += [f"**Build failed{where}:** {cell(result.error)}", ""]
    if gate is not None and gate.verdicts:
        out += ["| | budget | limit | measured | reason |", "|---|---|---|---|---|"]
        out += [f"| {MARKS[v.passed]} | `--{v.budget}` | {cell(v.limit)} | {cell(v.measured)} "
                f"| {cell(v.message)} |" for v in gate.verdicts]
        out.append("")
    if result.image is not None:
        out.append(f"**Image:** {figures.image_line(result)}  ")
        baseline = figures.baseline_line(result)
        if baseline is not None:
            out.append(f"**Against the baseline:** {cell(baseline)}  ")
    if gate is not None:
        out.append(f"**Cache:** {cell(gate.cache.describe())}  ")
    if result.waste is not None or result.waste_error:
        out.append(f"**Waste:** {cell(figures.waste_line(result))}")
    out.append("")
    if gate is not None and gate.biggest():
        out += [f"### The {min(BIGGEST, len(gate.biggest(BIGGEST)))} biggest steps", "",
                "| line | instruction | size | change | wasted later |", "|---:|---|---:|---:|---:|"]
        out += [_biggest_row(result, step) for step in gate.biggest(BIGGEST)]
        out.append("")
    if result.waste is not None and result.waste.entries:
        entries = result.waste.entries
        out += ["### Waste", "", "| path | size | kind | added | removed | what to do |",
                "|---|---:|---|---:|---:|---|"]
        for e in entries[:WASTE_SHOWN]:
            files = f" ({e.files} files)" if e.files > 1 else ""
            out.append(f"| {_code(e.path)}{files} | {human_size(e.bytes)} | {e.kind} | {_line(e.added)} "
                       f"| {_line(e.removed)} | {cell(e.suggestion)} |")
        if len(entries) > WASTE_SHOWN:
            out.append(f"\n{len(entries) - WASTE_SHOWN} more in the JSON report.")
        out.append("")
    if result.steps:
        out += [f"<details><summary>All {len(result.steps)} steps</summary>", "",
                "| step | stage | line | instruction | cache | seconds | size |", "|---:|---|---:|---|---|---:|---:|"]
        out += [f"| {s.index or '?'} | {cell(s.stage)} | {s.line or '?'} | {_code(s.instruction)} | {s.cache_state} "
                f"| {s.seconds_shown} | {human_size(s.size)} |" for s in result.steps[:STEPS_SHOWN]]
        if len(result.steps) > STEPS_SHOWN:
            out.append(f"\n{len(result.steps) - STEPS_SHOWN} more in the JSON report.")
        out += ["", "</details>", ""]
    return "\n".join(out)


def _headline(result: AnalysisResult) -> str:
    if result.error:
        return "❌ build failed"
    gate = result.gate
    if gate is None or not gate.verdicts:
        return "no budgets set"
    line = gate.verdict_line()
    return ("❌ " if gate.failed else "✅ ") + line


def _biggest_row(result: AnalysisResult, step: StepRecord) -> str:
    gate = result.gate
    change = gate.comparison.of(step) if gate and gate.comparison else None
    wasted = result.waste.wasted_by(step) if result.waste else None
    return (f"| {step.line} | {_code(step.instruction)} | {human_size(step.size)} "
            f"| {figures.signed(change.change) if change else '-'} | {human_size(wasted) if wasted else '-'} |")


def _line(step: StepRecord | None) -> str:
    return str(step.line) if step and step.line else "?"


def _code(text: str, width: int = 80) -> str:
    """A code span in a table cell: the fence outgrows any backtick run inside; `|` stays escaped for GitHub,
    and controls are shown escaped (printable), as the report may go to a terminal."""
    return code_span(clipped(printable(text), width))
