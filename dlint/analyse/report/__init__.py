"""Reporters for `dlint analyse`: one module per `--format`, each imported only when used."""

from __future__ import annotations

import importlib

from dlint.analyse.steps import AnalysisResult
from dlint.output import printable_lines

FORMATS = ("text", "json", "markdown", "junit", "html")
READ_BY_PEOPLE = ("text", "markdown", "html")  # on a terminal, in a CI log or a job summary


def render(fmt: str, result: AnalysisResult) -> str:
    """The report in `fmt`. One read by people has every control character but its own line breaks
    escaped (output.printable): layer file names, history and log lines come from the image and the
    build, and an ESC, a CR or a GitHub `::` command must not reach a terminal or a CI log raw. A
    text that could hold a line break of its own (a file name) is escaped where it is written."""
    text = importlib.import_module(f"dlint.analyse.report.{fmt}").render(result)
    return printable_lines(text) if fmt in READ_BY_PEOPLE else text
