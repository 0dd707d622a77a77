"""Lints a list of paths: reading, parsing and rule errors stay per file."""

from __future__ import annotations

from dataclasses import dataclass, field

from dlint.lint.discovery import discover
from dlint.lint.engine import RuleCrash, Selection, lint
from dlint.lint.finding import Finding
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import SourceError, read_source


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the file could not be read: a one-line reason
    crashes: list[RuleCrash] = field(default_factory=list)


def check_file(path: str, selection: Selection) -> FileResult:
    try:
        text = read_source(path)
    except SourceError as exc:
        return FileResult(path, error=str(exc))
    findings, crashes = lint(parse(text, path), selection)
    return FileResult(path, findings, crashes=crashes)


def check_paths(paths: list[str], selection: Selection, excludes: tuple[str, ...] = ()) -> list[FileResult]:
    return [check_file(p, selection) for p in discover(paths, excludes)]
