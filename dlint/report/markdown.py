"""A pull-request comment in GitHub-flavoured Markdown: counts by rule, then a table of findings.

Table cells are escaped (pipes, HTML, emphasis, links, control characters) so a
Dockerfile cannot break the table or inject markup into the comment; dlint's own
`code` spans stay code (where only a pipe needs escaping). The
findings table stops at MAX_ROWS so the comment stays under the size limits
review tools have (GitHub's is 65,536 characters).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from dlint.lint.finding import Finding
from dlint.output import printable
from dlint.report.document import whole
from dlint.report.paths import shown_path

MAX_ROWS = 200
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")


def cell(text: str) -> str:
    """Text that stays one table cell and renders literally, `code` spans kept as code."""
    text = printable(text)
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        return _SPECIAL.sub(r"\\\1", text)
    # Outside code spans every markup character is escaped; inside, only the pipe (GFM tables).
    return "`".join(_SPECIAL.sub(r"\\\1", p) if i % 2 == 0 else p.replace("|", "\\|") for i, p in enumerate(parts))


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """The counts head the comment, so all of it comes at the end; only counts and the first MAX_ROWS rows are kept."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._rows: list[str] = []
        self._checked = self._with_findings = self._findings = 0

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        self._checked += 1
        self._with_findings += bool(findings)
        self._findings += len(findings)
        self._counts.update((f.code, f.name, str(f.level)) for f in findings)
        for f in findings[: MAX_ROWS - len(self._rows)]:
            self._rows.append(f"| {cell(shown_path(f.file))} | {f.line} | {cell(f.code)} | {f.level} | {cell(f.message)} |")
        return ""

    def finish(self) -> tuple[str, str]:
        checked, n = self._checked, self._findings
        if not n:
            return f"### dlint\n\nNo findings in {checked} file{'s' * (checked != 1)}.\n", ""
        out = [
            "### dlint",
            "",
            f"{n} finding{'s' * (n != 1)} in {self._with_findings} of {checked} file{'s' * (checked != 1)}.",
            "",
            "| rule | name | level | count |",
            "| --- | --- | --- | ---: |",
        ]
        out += [f"| {cell(code)} | {cell(name)} | {level} | {k} |" for (code, name, level), k in sorted(self._counts.items())]
        out += ["", "| file | line | rule | level | message |", "| --- | ---: | --- | --- | --- |", *self._rows]
        if n > MAX_ROWS:
            out += ["", f"... and {n - MAX_ROWS} more (see the full report)."]
        return "\n".join(out) + "\n", ""
