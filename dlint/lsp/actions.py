"""Code actions: each finding's fix, "fix all safe" (source.fixAll.dlint) and an ignore pragma for the instruction."""

from __future__ import annotations

import re

from lsprotocol import types

from dlint.lint.finding import Edit, Finding
from dlint.lint.fix import checked_edits, fix_text
from dlint.lsp.diagnostics import span
from dlint.lsp.documents import Linted
from dlint.model import Dockerfile
from dlint.parsing.dockerfile import parse

FIX_ALL = "source.fixAll.dlint"
# The instruction-scope pragma an ignore action merges into: `# dlint ignore=A,B` (a reason may follow).
_IGNORE = re.compile(r"[ \t]*#[ \t]*dlint[ \t]+ignore[ \t]*=[ \t]*[A-Za-z0-9]+(?:[ \t]*,[ \t]*[A-Za-z0-9]+)*")


def code_actions(
    linted: Linted, uri: str, path: str, start: int, end: int, only: list[str] | None, encoding: str
) -> list[types.CodeAction]:
    """Actions for the findings overlapping [start, end] (offsets), filtered by the client's `only` kinds."""
    out: list[types.CodeAction] = []
    df: Dockerfile | None = None  # parsed again only when a finding in range has a fix to check
    for f in linted.findings:
        s, e = span(linted, f)
        if s > end or e < start:
            continue
        if f.fix is not None:
            df = df or parse(linted.text, path)
            edits = checked_edits(df, f.fix)  # what --fix would apply, or nothing
            if edits is not None:
                label = f"Fix {f.code}: {f.message}" if f.fix.safe else f"Fix {f.code} (unsafe: may change the build): {f.message}"
                out.append(_action(label, types.CodeActionKind.QuickFix, uri, linted, edits, encoding, f.fix.safe))
        out.append(_ignore(linted, uri, f, encoding))
    whole = fix_all(linted, uri, path, encoding)
    if whole is not None:
        out.append(whole)
    if only:
        out = [a for a in out if any(a.kind == k or (a.kind or "").startswith(k + ".") for k in only)]
    return out


def fix_all(linted: Linted, uri: str, path: str, encoding: str) -> types.CodeAction | None:
    """Every safe fix, applied as `dlint check --fix` would (verified, repeated until it settles)."""
    if not any(f.fix is not None and f.fix.safe for f in linted.findings):
        return None
    result, _findings, _crashes = fix_text(linted.text, path, linted.settings.selection)
    if result.error or not result.changed:
        return None
    edit = Edit(0, len(linted.text), result.text)
    return _action("Fix all safe dlint findings", FIX_ALL, uri, linted, (edit,), encoding, False)


def _ignore(linted: Linted, uri: str, f: Finding, encoding: str) -> types.CodeAction:
    """`# dlint ignore=CODE` above the instruction, in its indentation, ended as --fix ends new lines (a bare
    LF in a CRLF file, before); merged into a pragma already there."""
    starts = linted.line_starts
    line = min(max(f.instruction_line, 1), len(starts)) - 1
    at = starts[line]
    if line > 0:
        above = linted.text[starts[line - 1] : at].rstrip("\n")
        m = _IGNORE.match(above)
        if m is not None:
            edit = Edit(starts[line - 1] + m.end(), starts[line - 1] + m.end(), f",{f.code}")
            return _action(f"Ignore {f.code} for this instruction", types.CodeActionKind.QuickFix, uri, linted,
                           (edit,), encoding, False)
    rest = linted.text[at:]
    indent = rest[: len(rest) - len(rest.lstrip(" \t"))]
    edit = Edit(at, at, f"{indent}# dlint ignore={f.code}{linted.eol}")
    return _action(f"Ignore {f.code} for this instruction", types.CodeActionKind.QuickFix, uri, linted, (edit,),
                   encoding, False)


def _action(
    title: str, kind: str, uri: str, linted: Linted, edits: tuple[Edit, ...], encoding: str, preferred: bool
) -> types.CodeAction:
    text_edits = [types.TextEdit(linted.range(e.start, e.end, encoding), e.text) for e in edits]
    return types.CodeAction(
        title=title, kind=kind, is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes={uri: text_edits}),
    )
