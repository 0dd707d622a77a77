"""A JSON array of findings whose first fields are hadolint's, so its readers read ours."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from dlint.lint.finding import Finding


def render(findings: Iterable[Finding], files: Sequence[str] = ()) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"
