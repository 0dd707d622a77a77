"""The analysis as data: `image`, `steps[]`, `findings[]`, and the CI's `budgets[]`, `baseline`, `cache`, `waste[]`.

The same document is what `--save-baseline` writes and `--baseline` reads.
"""

from __future__ import annotations

import json

from dlint.analyse.steps import AnalysisResult
from dlint.output import utf8_text


def document(result: AnalysisResult) -> dict:
    data = result.to_dict()
    waste, gate = result.waste, result.gate
    if data["image"] is not None:
        data["image"].update(
            compressed_size=waste.compressed_size if waste else None,
            stored_bytes=waste.stored_bytes if waste else None,
            wasted_bytes=waste.wasted_bytes if waste else None,
            efficiency=round(waste.efficiency, 4) if waste else None,
        )
    for step, row in zip(result.steps, data["steps"], strict=True):
        row["wasted_bytes"] = waste.wasted_by(step) if waste else None
        change = gate.comparison.of(step) if gate and gate.comparison else None
        row["change"] = change.change if change else None
    data["waste"] = [entry.to_dict() for entry in waste.entries] if waste else []
    data["waste_error"] = result.waste_error
    data["layers_from"] = result.layers_from
    data["cache"] = gate.cache.to_dict() if gate else None
    data["baseline"] = gate.comparison.to_dict() if gate and gate.comparison else None
    data["budgets"] = [v.to_dict() for v in gate.verdicts] if gate else []
    return data


def render(result: AnalysisResult) -> str:
    return json.dumps(_utf8(document(result)), indent=2) + "\n"


def _utf8(value: object) -> object:
    """Strings as UTF-8 text: a byte of a name that is not UTF-8 (a lone surrogate in Python, which JSON
    readers turn into U+FFFD or refuse) is written as the text `\\xNN`, as every dlint report shows it."""
    if isinstance(value, str):
        return value if value.isascii() else utf8_text(value)
    if isinstance(value, dict):
        return {_utf8(k): _utf8(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_utf8(v) for v in value]
    return value
