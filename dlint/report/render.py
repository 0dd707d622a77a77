"""Picks the reporter module for a `--format` name; each is imported only when used."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from dlint.lint.finding import Finding

FORMATS = ("text", "json")


def render(fmt: str, findings: Sequence[Finding], colour: bool = False) -> str:
    module = importlib.import_module(f"dlint.report.{fmt}")
    if fmt == "text":
        return module.render(findings, colour=colour)
    return module.render(findings)
