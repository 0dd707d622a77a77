"""One `--format`/`--output` report, fed one file's findings at a time, in file order.

Every file's findings are rendered when that file is done, so `dlint check` over
100,000 files holds no file's findings longer than it takes to write them:
- lines (text, gnu, github): each file's lines at once;
- JSON arrays (json, gitlab): `[`, each file's items, `]`, byte for byte what
  rendering every finding at once gives;
- documents (sarif, junit, checkstyle, sonarqube, rdjson, markdown) start with
  what only the whole run knows (a rule table, counts), so each file's part goes
  to a spool (memory up to SPOOL_MEMORY, then an unlinked temporary file) and
  follows the head once the last file is done (report.document).
A report for a file goes to a temporary file renamed into place at the end
(output.OutputFile); one that cannot be written says so once and stops, and the
others go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from dlint.lint.finding import Finding
from dlint.output import OutputError, OutputFile, say, write_output
from dlint.report import render

LINES = frozenset({"text", "gnu", "github"})
ARRAYS = frozenset({"json", "gitlab"})
_EMPTY_ARRAY = "[]\n"
SPOOL_MEMORY = 1 << 20


class Report:
    def __init__(self, fmt: str, output: str | None, stream: TextIO | None = None, colour: bool = False) -> None:
        """`output` None: write to `stream` (stdout, or stderr when stdout carries fixed text)."""
        self.fmt, self.output, self.colour = fmt, output, colour
        self.failed = False
        self._stream = stream
        self._file: OutputFile | None = None
        self._items = 0  # JSON arrays: files with findings written so far
        self._document = None  # documents: the format's Document, and its parts so far in _spool
        self._spool = None
        if fmt not in LINES and fmt not in ARRAYS:
            import tempfile  # ~4 ms: not on the path of a plain `dlint check`

            self._document = render.reporter(fmt).Document()
            self._spool = tempfile.SpooledTemporaryFile(SPOOL_MEMORY, "w+", encoding="utf-8", newline="")
        if output is not None and output != "-":
            self._file = self._guard(OutputFile, output)

    def add(self, path: str, findings: Sequence[Finding], linted: bool = True) -> None:
        """One file's findings (sorted); `linted` False: it could not be read."""
        if self.failed:
            return
        if self.fmt in LINES:
            if findings:
                self._write(render.render(self.fmt, findings, [path], colour=self.colour))
        elif self.fmt in ARRAYS:
            part = render.render(self.fmt, findings, [path])
            if part != _EMPTY_ARRAY:  # "[\n" items "\n]\n": the items join the run's one array
                self._write(("[\n" if not self._items else ",\n") + part[2:-3])
                self._items += 1
        elif linted or findings:
            self._guard(self._spool_write, self._document.part(path, render.shown(self.fmt, findings)))

    def close(self) -> None:
        """Finish the report; a file report replaces its target only now."""
        if self.failed:
            return
        if self.fmt in ARRAYS:
            self._write("\n]\n" if self._items else _EMPTY_ARRAY)
        elif self._document is not None:
            head, tail = self._document.finish()
            self._write(head)
            self._copy_spool()
            if not self.failed:
                self._write(tail)
                self._spool.close()
        if self._file is not None and not self.failed:
            self._guard(self._file.commit)

    def discard(self) -> None:
        """The run stopped: a file report leaves the earlier one in place."""
        if self._spool is not None:
            self._spool.close()
        if self._file is not None:
            self._file.discard()

    def _copy_spool(self) -> None:
        if not self.failed:
            self._spool.seek(0)
        while not self.failed and (chunk := self._spool.read(SPOOL_MEMORY)):
            self._write(chunk)

    def _spool_write(self, text: str) -> None:
        try:
            self._spool.write(text)
        except OSError as exc:
            import tempfile

            raise OutputError(f"cannot keep the {self.fmt} report's parts in {tempfile.gettempdir()}: {exc.strerror or exc}") from None

    def _write(self, text: str) -> None:
        if self._file is not None:
            self._guard(self._file.write, text)
        elif self._stream is None:
            self._guard(write_output, text, None)
        else:
            self._stream.write(text)

    def _guard(self, action, *args):
        """Run `action`; an OutputError is said once and ends this report (the others go on)."""
        try:
            return action(*args)
        except OutputError as exc:
            say(str(exc))
            self.failed = True
            self.discard()
            return None
