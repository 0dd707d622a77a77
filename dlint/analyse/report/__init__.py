"""Reporters for `dlint analyse`: one module per `--format`, each imported only when used."""

from __future__ import annotations

import importlib

from dlint.analyse.steps import AnalysisResult

FORMATS = ("text", "json", "markdown", "junit", "html")


def render(fmt: str, result: AnalysisResult) -> str:
    return importlib.import_module(f"dlint.analyse.report.{fmt}").render(result)
