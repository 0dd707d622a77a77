"""One self-contained HTML page: verdict, budgets, a bar chart of layer sizes by Dockerfile line, steps, waste.

Self-contained means it opens from a CI artifact store with no network: the
style is inline, the chart is inline SVG, there are no scripts and no web
fonts. Each bar is one step of the image; the part of it that a later step
hid (waste) is drawn in a second colour.
"""

from __future__ import annotations

from html import escape

from dlint.analyse.report import figures
from dlint.analyse.steps import AnalysisResult, StepRecord
from dlint.analyse.units import human_size
from dlint.output import printable

KEPT = "#2563eb"  # bytes the final filesystem shows
WASTED = "#ea580c"  # bytes a later step hid
LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW, TOP = 380, 460, 110, 26, 34
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #111827; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.verdict { font-size: 16px; font-weight: 600; padding: 8px 12px; border-radius: 6px; display: inline-block; }
.pass { background: #dcfce7; color: #166534; } .fail { background: #fee2e2; color: #991b1b; }
.none { background: #f3f4f6; color: #374151; }
table { border-collapse: collapse; margin-top: 4px; } th, td { border: 1px solid #e5e7eb; padding: 3px 8px; }
th { background: #f9fafb; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
svg text { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; fill: #111827; }
"""


def render(result: AnalysisResult) -> str:
    gate = result.gate
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>dlint analyse {escape(printable(result.dockerfile))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>dlint analyse <code>{escape(printable(result.dockerfile))}</code></h1>",
        _verdict(result),
    ]
    facts = []
    if result.image is not None:
        facts.append(f"<b>Image</b>: {escape(figures.image_line(result))}")
        baseline = figures.baseline_line(result)
        if baseline:
            facts.append(f"<b>Against the baseline</b>: {escape(baseline)}")
    if gate is not None:
        facts.append(f"<b>Cache</b>: {escape(gate.cache.describe())}")
    if result.waste is not None or result.waste_error:
        facts.append(f"<b>Waste</b>: {escape(figures.waste_line(result))}")
    parts.append("<p>" + "<br>".join(facts) + "</p>")
    if gate is not None and gate.verdicts:
        parts.append("<h2>Budgets</h2>" + _table(
            ("", "budget", "limit", "measured", "reason"),
            [(_mark(v.passed), f"<code>--{escape(v.budget)}</code>", escape(v.limit), escape(v.measured),
              escape(v.message) + "".join(f"<br>{escape(d)}" for d in v.details[1:])) for v in gate.verdicts],
        ))
    chart_steps = gate.image_steps if gate is not None else []
    if any(s.size is not None for s in chart_steps):
        parts.append("<h2>Layer sizes by Dockerfile line</h2>" + _chart(result, chart_steps))
    if result.steps:
        parts.append("<h2>Steps</h2>" + _steps(result))
    if result.waste is not None and result.waste.entries:
        parts.append("<h2>Waste</h2>" + _table(
            ("path", "size", "kind", "added", "removed", "what to do"),
            [(f"<code>{escape(printable(e.path))}</code>" + (f" ({e.files} files)" if e.files > 1 else ""), _n(e.bytes),
              escape(e.kind), _line(e.added), _line(e.removed), escape(e.suggestion)) for e in result.waste.entries],
            frozenset({1, 3, 4}),
        ))
    if result.findings:
        parts.append("<h2>Lint findings</h2>" + _table(
            ("line", "code", "message"),
            [(str(f.line), f"<code>{escape(f.code)}</code>", escape(f.message)) for f in result.findings],
        ))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _chart(result: AnalysisResult, steps: list[StepRecord]) -> str:
    """Inline SVG: one horizontal bar per step, scaled to the largest, the wasted share in its own colour."""
    rows = [s for s in steps if s.size is not None]
    largest = max((s.size or 0 for s in rows), default=0) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = TOP + ROW * len(rows) + 8
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="layer size of each step">',
           f'<rect x="{LABEL_WIDTH}" y="6" width="12" height="12" fill="{KEPT}"/>',
           f'<text x="{LABEL_WIDTH + 18}" y="16">in the image</text>',
           f'<rect x="{LABEL_WIDTH + 130}" y="6" width="12" height="12" fill="{WASTED}"/>',
           f'<text x="{LABEL_WIDTH + 148}" y="16">hidden by a later step (waste)</text>']
    for i, step in enumerate(rows):
        y = TOP + i * ROW
        size = step.size or 0
        wasted = min(result.waste.wasted_by(step), size) if result.waste else 0
        full = round(BAR_WIDTH * size / largest) if size else 0
        full = max(full, 1) if size else 0
        hidden = round(full * wasted / size) if size else 0
        tip = f"line {step.line}: {step.instruction}\n{human_size(size)}" + (
            f", {human_size(wasted)} hidden later" if wasted else "")
        out.append(f'<g><title>{escape(tip)}</title>'
                   f'<text x="0" y="{y + 14}">{escape(figures.step_label(step, 40))}</text>'
                   f'<rect x="{LABEL_WIDTH}" y="{y}" width="{full - hidden}" height="{ROW - 8}" fill="{KEPT}"/>'
                   + (f'<rect x="{LABEL_WIDTH + full - hidden}" y="{y}" width="{hidden}" height="{ROW - 8}" '
                      f'fill="{WASTED}"/>' if hidden else "")
                   + f'<text x="{LABEL_WIDTH + full + 6}" y="{y + 14}">{escape(human_size(size))}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _verdict(result: AnalysisResult) -> str:
    gate = result.gate
    if result.error:
        return f'<p class="verdict fail">Build failed: {escape(result.error)}</p>'
    if gate is None or not gate.verdicts:
        return '<p class="verdict none">No budgets set</p>'
    css = "fail" if gate.failed else "pass"
    return f'<p class="verdict {css}">{escape(gate.verdict_line())}</p>'


def _steps(result: AnalysisResult) -> str:
    gate, waste = result.gate, result.waste
    rows = []
    for s in result.steps:
        change = gate.comparison.of(s) if gate and gate.comparison else None
        wasted = waste.wasted_by(s) if waste else 0
        rows.append((str(s.index or "?"), escape(s.stage), str(s.line or "?"), f"<code>{escape(s.instruction)}</code>",
                     s.cache_state, s.seconds_shown, _n(s.size),
                     escape(figures.signed(change.change)) if change else "", _n(wasted) if wasted else ""))
    headers = ("step", "stage", "line", "instruction", "cache", "seconds", "size", "change", "wasted later")
    return _table(headers, rows, frozenset({0, 2, 5, 6, 7, 8}))


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]], numeric: frozenset[int] = frozenset()) -> str:
    """Cells are HTML already; columns in `numeric` are right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _n(n: int | None) -> str:
    return escape(human_size(n))


def _line(step: StepRecord | None) -> str:
    return str(step.line) if step and step.line else "?"


def _mark(passed: bool | None) -> str:
    return {True: "pass", False: "<b>FAIL</b>", None: "not checked"}[passed]


