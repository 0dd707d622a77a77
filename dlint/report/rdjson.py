"""reviewdog's Diagnostic Format (rdjson): one DiagnosticResult document for `reviewdog -f=rdjson`.

Safe fixes travel as `suggestions` (each edit's range and replacement text), so
reviewdog can post them as suggested changes; unsafe ones are left out, as
`--fix` leaves them out. Positions are 1-based with the end exclusive, and
columns count UTF-8 bytes, as the format defines them.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.document import SLOT, JsonArray, whole
from dlint.report.paths import shown_path
from dlint.report.sarif import home_page

SEVERITIES = {Level.ERROR: "ERROR", Level.WARNING: "WARNING", Level.INFO: "INFO", Level.STYLE: "INFO"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    def __init__(self) -> None:
        self._diagnostics = JsonArray({"source": {}, "diagnostics": SLOT})

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        return self._diagnostics.items(_diagnostic(f) for f in findings)

    def finish(self) -> tuple[str, str]:
        source = {"name": "dlint"}
        home = home_page()
        if home:
            source["url"] = home
        return self._diagnostics.frame({"source": source, "diagnostics": SLOT})


def _diagnostic(f: Finding) -> dict:
    column, end_column = f.byte_columns or (f.column, f.end_column)
    diagnostic = {
        "message": f.message,
        "location": {
            "path": shown_path(f.file),
            "range": {
                "start": {"line": f.line, "column": column},
                "end": {"line": f.end_line, "column": end_column},
            },
        },
        "severity": SEVERITIES[f.level],
        "code": {"value": f.code},
    }
    if f.fix and f.fix.safe and f.replacements:
        diagnostic["suggestions"] = [
            {
                "range": {
                    "start": {"line": r.line, "column": r.byte_column},
                    "end": {"line": r.end_line, "column": r.end_byte_column},
                },
                "text": r.text,
            }
            for r in f.replacements
        ]
    return diagnostic
