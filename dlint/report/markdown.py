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
    checked = len(set(files) | {f.file for f in findings})
    if not findings:
        return f"### dlint\n\nNo findings in {checked} file{'s' * (checked != 1)}.\n"
    counts = Counter((f.code, f.name, str(f.level)) for f in findings)
    out = [
        "### dlint",
        "",
        f"{len(findings)} finding{'s' * (len(findings) != 1)} in "
        f"{len({f.file for f in findings})} of {checked} file{'s' * (checked != 1)}.",
        "",
        "| rule | name | level | count |",
        "| --- | --- | --- | ---: |",
    ]
    out += [f"| {cell(code)} | {cell(name)} | {level} | {n} |" for (code, name, level), n in sorted(counts.items())]
    out += ["", "| file | line | rule | level | message |", "| --- | ---: | --- | --- | --- |"]
    for f in findings[:MAX_ROWS]:
        out.append(f"| {cell(shown_path(f.file))} | {f.line} | {cell(f.code)} | {f.level} | {cell(f.message)} |")
    if len(findings) > MAX_ROWS:
        out += ["", f"... and {len(findings) - MAX_ROWS} more (see the full report)."]
    return "\n".join(out) + "\n"
