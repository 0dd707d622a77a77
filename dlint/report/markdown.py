"""A pull-request comment in GitHub-flavoured Markdown: counts by rule, then a table of findings.

Table cells are escaped (pipes, HTML, emphasis, links, control characters) so a
Dockerfile cannot break the table or inject markup into the comment; bare URLs and issue
references go into code spans, where GitHub links nothing; dlint's own
`code` spans stay code (where only a pipe needs escaping). The
findings table stops at MAX_ROWS rows or MAX_TABLE characters, and a cell at CELL
characters, so the comment stays under the size limits review tools have (GitHub's is 65,536 characters).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from dlint.lint.finding import Finding
from dlint.output import printable, shortened
from dlint.report.document import whole
from dlint.report.paths import shown_path

MAX_ROWS = 200
MAX_TABLE = 48_000  # characters of finding rows: with the counts, under GitHub's 65,536 for a comment
CELL = 500  # characters of a path or a message a cell shows: a 60 KB package name is one finding, not the table
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
_TICKS = re.compile(r"(`+)")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")  # GitHub notifies `@user` and `@org/team` outside code
# What GitHub turns into a link outside code: a bare URL or `www.` domain (the GFM autolink extension, at
# the text's `:` or `w`) and a reference to an issue or pull request (`#123`, `GH-123`, `owner/repo#1`),
# which it finds in the rendered text after markdown, where no markdown escape or entity is left.
_LINKED = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s<]*|www\.[^\s<]*|(?:[\w.-]+/[\w.-]+)?#\d+|\bGH-\d+)",
                     re.IGNORECASE)


def cell(text: str) -> str:
    """Text that stays one table cell and renders literally, `code` spans kept as code.

    A run of backticks opens a code span only where a run of the same length closes it, as CommonMark
    reads it: a run left open is escaped, or the text after it (`` ```<img src=x>` ``) would be HTML.
    An `@` before a name is followed by a zero-width space, as Renovate writes it: a file named
    `@org/team` would otherwise notify the team each time the comment is posted. A URL or an issue
    reference (_LINKED) goes into a code span, where GitHub links nothing; one touching a code span joins it,
    since two spans side by side would make one longer backtick run."""
    text = shortened(printable(text), width=CELL)
    pieces = _TICKS.split(text)  # text, backticks, text, backticks, ..., text
    out: list[list[str]] = []  # ["text", markdown] or ["code", the span's text]
    i = 0
    while i < len(pieces):
        close = next((j for j in range(i + 2, len(pieces), 2) if pieces[j] == pieces[i]), None) if i % 2 else None
        if close is None:  # plain text, or backticks that close nothing: every markup character escaped
            for k, part in enumerate(_LINKED.split(pieces[i]) if i % 2 == 0 else [pieces[i]]):
                _add(out, "code" if k % 2 else "text", part if k % 2 else _escaped(part))
            i += 1
        else:
            _add(out, "code", _span_text("".join(pieces[i + 1 : close])))
            i = close + 1
    return "".join(code_span(body) if kind == "code" else body for kind, body in out)


def _escaped(text: str) -> str:
    return _MENTION.sub("@&#8203;", _SPECIAL.sub(r"\\\1", text))


def _span_text(body: str) -> str:
    """What a code span shows: CommonMark takes one space off each side when both have one (and it is not all
    spaces), so a span joined to the text after it keeps no padding in its middle."""
    return body[1:-1] if len(body) >= 2 and body[0] == " " == body[-1] and body.strip(" ") else body


def _add(out: list[list[str]], kind: str, body: str) -> None:
    """Append to the cell's segments; code after code is one span, and empty text is nothing."""
    if not body and kind == "text":
        return
    if out and kind == "code" == out[-1][0]:
        out[-1][1] += body
    else:
        out.append([kind, body])


def code_span(body: str) -> str:
    """`body` as one code span: fenced by a backtick run longer than any in it, a space inside the fence when
    it starts or ends with a backtick (CommonMark takes one off each side); only the pipe is escaped (GFM
    tables)."""
    fence = "`" * (max(map(len, _TICKS.findall(body)), default=0) + 1)
    pad = " " if body[:1] == "`" or body[-1:] == "`" else ""
    return f"{fence}{pad}{body.replace('|', chr(92) + '|')}{pad}{fence}"


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    return whole(Document(), findings, files)


class Document:
    """The counts head the comment, so all of it comes at the end; only counts and the first MAX_ROWS rows are kept."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._rows: list[str] = []
        self._checked = self._with_findings = self._findings = 0
        self._size, self._full = 0, False  # the rows' characters; no more rows once over MAX_TABLE

    def part(self, path: str, findings: Sequence[Finding]) -> str:
        self._checked += 1
        self._with_findings += bool(findings)
        self._findings += len(findings)
        self._counts.update((f.code, f.name, str(f.level)) for f in findings)
        for f in findings[: MAX_ROWS - len(self._rows)] if not self._full else ():
            row = f"| {cell(shown_path(f.file))} | {f.line} | {cell(f.code)} | {f.level} | {cell(f.message)} |"
            self._size += len(row) + 1
            self._full = self._size > MAX_TABLE
            if self._full:
                break
            self._rows.append(row)
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
        if n > len(self._rows):
            out += ["", f"... and {n - len(self._rows)} more (see the full report)."]
        return "\n".join(out) + "\n", ""
