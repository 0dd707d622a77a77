"""Findings as LSP diagnostics: exact span, severity from the level, the rule code and what a code action needs."""

from __future__ import annotations

from lsprotocol import types

from dlint.lint.finding import Finding, Level
from dlint.lsp.documents import Linted

SOURCE = "dlint"
SEVERITY = {
    Level.ERROR: types.DiagnosticSeverity.Error,
    Level.WARNING: types.DiagnosticSeverity.Warning,
    Level.INFO: types.DiagnosticSeverity.Information,
    Level.STYLE: types.DiagnosticSeverity.Hint,
}


def diagnostics(linted: Linted, encoding: str) -> list[types.Diagnostic]:
    return [diagnostic(linted, f, encoding) for f in linted.findings]


def span(linted: Linted, f: Finding) -> tuple[int, int]:
    start = linted.offset(f.line, f.column)
    return start, max(start, linted.offset(f.end_line, f.end_column))


def diagnostic(linted: Linted, f: Finding, encoding: str) -> types.Diagnostic:
    # No codeDescription: dlint publishes no URL for its rule pages (they ship with it; hover shows them).
    return types.Diagnostic(
        range=linted.range(*span(linted, f), encoding),
        message=f.message,
        severity=SEVERITY[f.level],
        code=f.code,
        source=SOURCE,
        data={"fingerprint": f.fingerprint, "fixable": f.fixable, "instruction_line": f.instruction_line},
    )


def file_error(message: str) -> types.Diagnostic:
    """A file dlint cannot use (a broken config, a buffer too large to lint): one error at its top."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )
