"""Label schema rules: which labels an image must carry and what their values look like.

Each rule does nothing until its settings name the labels it checks
(`[tool.dlint.rules.DL3052] labels = ["org.opencontainers.image.source"]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import Operand, keyword_span, pairs
from dlint.lint.checks.runtime import shipped_chain
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction

_URL = lazy(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
_RFC3339 = lazy(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_GIT_HASH = lazy(r"[0-9a-f]{7,40}|[0-9a-f]{64}")
# semver.org's regular expression
_SEMVER = lazy(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = lazy(rf"{_ATOM}(?:\.{_ATOM})*@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+")
_SPDX_ID = r"(?:LicenseRef-|DocumentRef-[A-Za-z0-9.-]+:LicenseRef-)?[A-Za-z0-9][A-Za-z0-9.-]*\+?"
_SPDX_TOKEN = lazy(rf"\(|\)|AND\b|OR\b|WITH\b|{_SPDX_ID}")


def labels_option(ctx: Context, code: str, key: str = "labels") -> list[str]:
    return list(ctx.options.get(code, {}).get(key, ()))


def label_pairs(ctx: Context) -> Iterator[tuple[Instruction, Operand, Operand]]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "LABEL":
            for key, value in ctx.per_instruction(pairs, instr):
                yield instr, key, value


def is_rfc3339(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        from datetime import datetime  # only for a date label: not on every run

        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def is_spdx_expression(value: str) -> bool:
    """SPDX license expression syntax: ids joined by AND/OR/WITH, with parentheses."""
    tokens = value.replace("(", " ( ").replace(")", " ) ").split()
    if not tokens:
        return False
    depth, expect_id = 0, True
    for token in tokens:
        if not _SPDX_TOKEN.fullmatch(token):
            return False
        if token == "(":
            if not expect_id:
                return False
            depth += 1
        elif token == ")":
            depth -= 1
            if depth < 0 or expect_id:
                return False
        elif token in ("AND", "OR", "WITH"):
            if expect_id:
                return False
            expect_id = True
        else:
            if not expect_id:
                return False
            expect_id = False
    return depth == 0 and not expect_id


def format_rule(code: str, what: str, valid: Callable[[str], bool]) -> Callable[[Context], Iterator[Violation]]:
    """A check that every listed label's literal value passes `valid`."""

    def check(ctx: Context) -> Iterator[Violation]:
        names = set(labels_option(ctx, code))
        if not names:  # the rule's settings name no label: nothing to read
            return
        for instr, key, value in label_pairs(ctx):
            text = value.value
            if key.value in names and text and "$" not in text and not valid(text):
                yield ctx.violation(code, f"label `{key.value}` is not {what}: `{text}`", instr, value.start, value.end)

    check.__name__ = f"check_{code}"
    return check


rule("DL3052")(format_rule("DL3052", "a URL", lambda v: bool(_URL.fullmatch(v))))
rule("DL3053")(format_rule("DL3053", "an RFC 3339 time (2024-05-01T12:00:00Z)", is_rfc3339))
rule("DL3054")(format_rule("DL3054", "an SPDX license expression", is_spdx_expression))
rule("DL3055")(format_rule("DL3055", "a git commit hash", lambda v: bool(_GIT_HASH.fullmatch(v))))
rule("DL3056")(format_rule("DL3056", "a semantic version (1.2.3)", lambda v: bool(_SEMVER.fullmatch(v))))
rule("DL3058")(format_rule("DL3058", "an email address", lambda v: bool(_EMAIL.fullmatch(v))))


@rule("DL3051")
def empty_label(ctx: Context) -> Iterator[Violation]:
    names = set(labels_option(ctx, "DL3051"))
    if not names:
        return
    for instr, key, value in label_pairs(ctx):
        if key.value in names and not value.value.strip():
            yield ctx.violation("DL3051", f"label `{key.value}` is empty", instr, key.start, value.end)


@rule("DL3049")
def missing_label(ctx: Context) -> Iterator[Violation]:
    """Labels are inherited along FROM, so the final image has what its stage chain sets."""
    required = labels_option(ctx, "DL3049", "required")
    chain = shipped_chain(ctx.dockerfile)
    if not required or not chain:
        return
    labels = [i for s in chain for i in s.instructions if i.keyword == "LABEL"]
    present = {key.value for i in labels for key, _ in ctx.per_instruction(pairs, i)}
    final = chain[0].from_instruction
    for name in required:
        if name not in present:
            yield ctx.violation(
                "DL3049", f"the final image has no label `{name}`", final, *keyword_span(final)
            )


@rule("DL3050")
def superfluous_label(ctx: Context) -> Iterator[Violation]:
    allowed = labels_option(ctx, "DL3050", "allowed")
    if not allowed:
        return
    for instr, key, _ in label_pairs(ctx):
        if key.value not in allowed:
            yield ctx.violation(
                "DL3050", f"label `{key.value}` is not in the allowed list", instr, key.start, key.end
            )
