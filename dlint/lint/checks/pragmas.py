"""Pragmas that cannot do what they say: a typo in one must not silently silence nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import SHELLCHECK_CODES, all_rules, rule
from dlint.lint.suppress import HADOLINT_CODE, Pragma
from dlint.model import Comment, Dockerfile

CODE = "DLT100"
_WORD = re.compile(r"[A-Za-z0-9]+")


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
        words = None
        for code in p.codes:
            if code in known or code in SHELLCHECK_CODES or (p.tool == "hadolint" and HADOLINT_CODE.fullmatch(code)):
                continue
            if words is None:  # once per pragma: a line may name 100,000 codes
                words = _words(df, p.comment)
            message = f"unknown rule code {code} in `# {p.tool}` pragma; `dlint rules` lists them"
            yield on_comment(df, p.comment, message, words.get(code))
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
    df: Dockerfile, comment: Comment, message: str, span: tuple[int, int] | None = None, code: str = CODE
) -> Violation:
    """A file-level violation spanning the comment, or `span`, a word in it."""
    start, end = span or (comment.offset, _line_end(df, comment))
    return Violation(code, message, start, end, instruction=-1)


def _words(df: Dockerfile, comment: Comment) -> dict[str, tuple[int, int]]:
    """Each word of the comment, upper-cased, with the span of its first use: found in one pass over the line,
    not a search of the line per unknown code (quadratic: 100,000 codes on one line took over ten minutes)."""
    spans: dict[str, tuple[int, int]] = {}
    for m in _WORD.finditer(df.text, comment.offset, _line_end(df, comment)):
        spans.setdefault(m[0].upper(), m.span())
    return spans


def _line_end(df: Dockerfile, comment: Comment) -> int:
    """Where the comment's line ends: a pragma's words are looked for up to there."""
    end = df.text.find("\n", comment.offset)
    return len(df.text) if end < 0 else end
