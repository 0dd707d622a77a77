"""The phrases every analyse report shares, so text, markdown and HTML state a figure the same way."""

from __future__ import annotations

from dlint.analyse.steps import AnalysisResult, StepRecord
from dlint.analyse.units import human_size
from dlint.output import clipped

NO_COMPRESSED = "compressed size not available (the image's layers are stored uncompressed)"


def compressed(result: AnalysisResult) -> str:
    size = result.waste.compressed_size if result.waste else None
    if size is None:
        return NO_COMPRESSED
    return f"compressed {human_size(size)} (gzip layers, as the engine stores them)"


def image_line(result: AnalysisResult) -> str:
    image = result.image
    assert image is not None
    return (f"{human_size(image.size)} uncompressed ({image.size} bytes), {compressed(result)}; "
            f"{image.layers} layer{'s' * (image.layers != 1)}")


def waste_line(result: AnalysisResult) -> str:
    """Efficiency and wasted bytes, or why they are missing."""
    waste = result.waste
    if waste is None:
        return f"waste not measured: {result.waste_error}" if result.waste_error else "waste not measured"
    return (f"efficiency {waste.efficiency:.1%}: {human_size(waste.wasted_bytes)} of the "
            f"{human_size(waste.stored_bytes)} stored in the layers is hidden by later steps")


def baseline_line(result: AnalysisResult) -> str | None:
    comparison = result.gate.comparison if result.gate else None
    if comparison is None:
        return None
    change = comparison.change
    pct = f", {change / comparison.before:+.1%}" if comparison.before else ""
    return (f"{human_size(comparison.before)} → {human_size(comparison.after)} "
            f"({'+' if change >= 0 else '-'}{human_size(abs(change))}{pct}) against {comparison.path}")


def signed(n: int) -> str:
    return ("+" if n > 0 else "-" if n < 0 else "±") + human_size(abs(n))


def step_label(step: StepRecord, width: int = 60) -> str:
    text = clipped(step.instruction, width)
    return f"line {step.line} {text}" if step.line else text
