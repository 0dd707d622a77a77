"""The analysis for people: a step table, the image total, the build error, annotated findings."""

from __future__ import annotations

from dlint.analyse.report import figures
from dlint.analyse.steps import AnalysisResult, StepRecord
from dlint.analyse.units import human_size
from dlint.output import clipped, printable
from dlint.report.text import render as render_findings

INSTRUCTION_WIDTH = 60
WASTE_SHOWN = 10  # the biggest entries; --format json lists them all
HEADERS = ("step", "stage", "line", "instruction", "cache", "seconds", "size")


def render(result: AnalysisResult) -> str:
    from tabulate import tabulate  # only `analyse` pays for it

    out: list[str] = [f"builder: {result.builder}"]
    if result.steps:
        rows = [_row(s) for s in result.steps]
        out.append(tabulate(rows, headers=HEADERS, colalign=("right", "left", "right", "left", "left", "right", "right")))
    if result.image:
        image = result.image
        out.append(f"image {image.id.removeprefix('sha256:')[:12]}: {figures.image_line(result)}")
        caches = ", ".join(f"{path} {human_size(n)}" for path, n in (result.image_probes or {}).items() if n)
        if caches:
            out.append(f"cache directories left in the image: {caches}")
    if result.error:
        failed = result.failed_step
        where = f" at step {failed.index} (line {failed.line})" if failed and failed.line else ""
        out.append(f"build failed{where}: {printable(result.error)}")
        if result.log_tail:
            out.append("last output of the failing step:\n" + "".join(f"  {line}\n" for line in result.log_tail).rstrip())
    if result.waste or result.waste_error:
        out.append(_waste(result))
    if result.gate is not None:
        out.extend(_gate(result))
    if result.cache_probe:
        out.append("cache probe (each path changed in a copy of the context, then rebuilt):\n"
                   + "".join(f"  {_probe(p)}\n" for p in result.cache_probe).rstrip())
    if result.findings:
        out.append("findings:\n" + "".join(f"  {_finding(result, f)}\n" for f in result.findings).rstrip())
    return "\n\n".join(out) + "\n" if out else ""


def _waste(result: AnalysisResult) -> str:
    lines = [f"waste: {figures.waste_line(result)}"]
    entries = result.waste.entries if result.waste else []
    for entry in entries[:WASTE_SHOWN]:
        files = f" ({entry.files} files)" if entry.files > 1 else ""
        lines.append(f"  {printable(entry.path)}{files} {human_size(entry.bytes)} {entry.kind}: {entry.suggestion}")
    if len(entries) > WASTE_SHOWN:
        lines.append(f"  ... and {len(entries) - WASTE_SHOWN} more (--format json lists every one)")
    return "\n".join(lines)


def _gate(result: AnalysisResult) -> list[str]:
    gate = result.gate
    assert gate is not None
    out = [f"cache: {gate.cache.describe()}"]
    baseline = figures.baseline_line(result)
    if baseline is not None and gate.comparison is not None:
        changed = [c for c in gate.comparison.steps if c.change]
        out.append(f"baseline: {baseline}"
                   + "".join(f"\n  {printable(c.label)}: {figures.signed(c.change)}" for c in changed))  # a baseline's text: any file
    if gate.verdicts:
        rows = [f"  {_state(v.passed)} --{v.budget} {v.limit}: {v.message}" for v in gate.verdicts]
        out.append(f"budgets: {gate.verdict_line()}\n" + "\n".join(rows))
    return out


def _state(passed: bool | None) -> str:
    return "pass" if passed else "FAIL" if passed is False else "skip"


def _row(step: StepRecord) -> tuple:
    return (step.index or "?", step.stage, step.line or "?", clipped(step.instruction, INSTRUCTION_WIDTH),
            step.cache_state, step.seconds_shown, human_size(step.size))


def _probe(probe) -> str:
    """One probe's outcome; the path is the user's, the error the engine's: neither breaks the line."""
    path, miss = printable(probe.path), probe.first_miss
    if probe.error:
        return f"{path}: the rebuild failed: {printable(probe.error)}"
    if miss is None:
        return f"{path}: every step HIT (the build does not read it)"
    text = (f"{path}: first MISS at step {miss.index} (line {miss.line}) {miss.instruction}; "
            f"{probe.rebuilt_steps} step{'s' * (probe.rebuilt_steps != 1)} rebuilt, "
            f"{probe.rebuilt_seconds:.1f}s, {human_size(probe.rebuilt_bytes)}")
    return text + (f"\n    suggestion: {probe.suggestion}" if probe.suggestion else "")


def _finding(result: AnalysisResult, finding) -> str:
    text = render_findings([finding]).rstrip("\n")
    measured = finding.extra.get("measured_bytes")
    if measured is not None:
        return f"{text} [measured: {human_size(measured)}]"
    step = result.step_at_line(finding.instruction_line)
    if step is not None and step.size is not None:
        return f"{text} [step {step.index} layer: {human_size(step.size)}]"
    return text
