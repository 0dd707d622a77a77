"""Pragmas that cannot do what they say: a typo in one must not silently silence nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lint import shellcheck
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import all_rules, rule
from dlint.lint.suppress import HADOLINT_CODE, Pragma
from dlint.model import Comment, Dockerfile

CODE = "DLT100"


@rule(CODE)
def invalid_pragma(ctx: Context) -> Iterator[Violation]:
    df, pragmas, known = ctx.dockerfile, ctx.pragmas, all_rules()
    for m in pragmas.malformed:
        yield on_comment(
            df, m.comment,
            f"`# {m.comment.text}` reads like a pragma but does not parse, so it silences nothing: "
            "write `# dlint ignore=CODE[,CODE]`, `# dlint stage ignore=...` or `# dlint global ignore=...`",
        )
    for p in pragmas.found:
        for code in p.codes:
            if code in known or code in shellcheck.CODES or (p.tool == "hadolint" and HADOLINT_CODE.fullmatch(code)):
                continue
            message = f"unknown rule code {code} in `# {p.tool}` pragma; `dlint rules` lists them"
            yield on_comment(df, p.comment, message, code)
    for p in pragmas.misplaced:
        yield on_comment(df, p.comment, _misplaced_message(p))


def _misplaced_message(p: Pragma) -> str:
    if p.scope == "stage":
        return f"`# {p.tool} stage ignore=` only works in the comments directly above a FROM; this one silences nothing"
    return (
        f"`# {p.tool} ignore=` only works in the comments directly above an instruction; this one silences nothing "
        f"(use `# {p.tool} global ignore=` for the whole file)"
    )


def on_comment(
    df: Dockerfile, comment: Comment, message: str, word: str | None = None, code: str = CODE
) -> Violation:
    """A file-level violation spanning the comment, or just `word` in it."""
    end = df.text.find("\n", comment.offset)
    end = len(df.text) if end < 0 else end
    start = comment.offset
    if word is not None:
        m = re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", df.text[start:end], re.I)
        if m:
            start, end = start + m.start(), start + m.end()
    return Violation(code, message, start, end, instruction=-1)
