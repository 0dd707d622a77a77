"""Hover on a rule code in a pragma, or anywhere inside a diagnostic: the rule's summary and its page's Why."""

from __future__ import annotations

import bisect
import re

from lsprotocol import types

from dlint.lint.registry import all_rules
from dlint.lsp.diagnostics import span
from dlint.lsp.documents import Linted

_CODE = re.compile(r"[A-Za-z]+[0-9]+")
_PRAGMA_LINE = re.compile(r"\s*#\s*(?:dlint|hadolint)\b")


def rule_text(code: str) -> str | None:
    rule = all_rules().get(code.upper())
    if rule is None:
        return None
    why = rule.section("Why")
    return f"**{rule.code}** `{rule.name}`: {rule.summary}" + (f"\n\n{why}" if why else "")


def hover(linted: Linted, offset: int) -> types.Hover | None:
    """`offset` is the cursor as a character offset into the linted text."""
    line = max(bisect.bisect_right(linted.line_starts, offset) - 1, 0)
    start = linted.line_starts[line]
    end = linted.line_starts[line + 1] if line + 1 < len(linted.line_starts) else len(linted.text)
    text = linted.text[start:end]
    if _PRAGMA_LINE.match(text):
        for m in _CODE.finditer(text):
            if m.start() <= offset - start <= m.end() and (content := rule_text(m[0])):
                return _hover(content)
    codes = [f.code for f in linted.findings if (s := span(linted, f))[0] <= offset <= s[1]]
    parts = [t for t in map(rule_text, dict.fromkeys(codes)) if t]
    return _hover("\n\n---\n\n".join(parts)) if parts else None


def _hover(markdown: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown))
