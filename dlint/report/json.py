"""A JSON array of findings whose first fields are hadolint's, so its readers read ours."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from dlint.lint.finding import Finding
from dlint.output import printable


def render(findings: Iterable[Finding], files: Sequence[str] = ()) -> str:
    return json.dumps([_entry(f) for f in findings], indent=2) + "\n"


def _entry(f: Finding) -> dict:
    """The path as given, escaped like every report's (report.paths): JSON has no way to hold bytes that are not UTF-8."""
    d = f.to_dict()
    d["file"] = printable(f.file)
    return d
