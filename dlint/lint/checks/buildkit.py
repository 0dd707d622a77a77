"""BuildKit's build checks that no hadolint code covers, with BuildKit's semantics and wording.

BuildKit (frontend/dockerfile/linter/ruleset.go) prints these on every build;
dlint reports them under `DLB…` codes with the BuildKit name as alias, so a
`# dlint ignore=FromAsCasing` reads as BuildKit's own name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import keyword_span, operands
from dlint.lint.context import Context
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction
from dlint.parsing.arguments import GO_SPACE, KEYWORDS, parse_words

_AS = lazy(r"(?<=\s)(as)(?=\s)", re.IGNORECASE)
_PROTO = lazy(r"/([A-Za-z]+)$")
_BLANKS = lazy(r"[\t\v\f\r ]+")  # BuildKit's tokenWhitespace: what separates a legacy key from its value
_BLANK_LINE = lazy("\n[" + re.escape(GO_SPACE.replace("\n", "")) + "]*(?=\n|\\Z)")  # a line of nothing but whitespace


def _word_span(instr: Instruction, pattern: re.Pattern[str]) -> tuple[int, int, str] | None:
    """File span and text of the first match of `pattern` in the instruction's arguments."""
    m = pattern.search(instr.args.value)
    if m is None:
        return None
    return instr.args.source_offset(m.start(1)), instr.args.map.end_to_source(m.end(1)), m.group(1)


def _cased(word: str, like: str) -> str:
    """`word` in the case of `like`: upper when `like` is upper, else lower (BuildKit's rule)."""
    return word.upper() if like.isupper() else word.lower()


def _named_froms(ctx: Context) -> Iterator[Instruction]:
    """The `FROM image AS name` instructions: what the stage-name casing rules look at."""
    for stage in ctx.dockerfile.stages:
        if stage.alias is not None and len(stage.from_instruction.values) >= 3:
            yield stage.from_instruction


@rule("DLB001")
def from_as_casing(ctx: Context) -> Iterator[Violation]:
    for instr in _named_froms(ctx):
        keyword = instr.raw_keyword
        if not (keyword.isupper() or keyword.islower()):
            continue  # ConsistentInstructionCasing's business, as in BuildKit
        span = _word_span(instr, _AS)
        if span is None or span[2] == _cased(span[2], keyword):
            continue
        start, end, word = span
        yield ctx.violation(
            "DLB001",
            f"'{word}' and '{keyword}' keywords' casing do not match",
            instr, start, end,
            fix=Fix((Edit(start, end, _cased(word, keyword)),)),
        )


@rule("DLB002")
def stage_name_casing(ctx: Context) -> Iterator[Violation]:
    for instr in _named_froms(ctx):
        name = instr.values[2]
        if name == name.lower():
            continue
        yield ctx.violation("DLB002", f"Stage name '{name}' should be lowercase", instr)


@rule("DLB003")
def expose_proto_casing(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "EXPOSE":
            continue
        pos = 0  # words are searched left to right: `EXPOSE 80/TCP 80/TCP` fixes each, in linear time
        for word in instr.values:
            at = instr.args.value.find(word, pos)
            pos = at + len(word) if at >= 0 else pos
            m = _PROTO.search(word)
            if m is None or m.group(1) == m.group(1).lower():
                continue
            fix = None
            if at >= 0:
                start = instr.args.source_offset(at + m.start(1))
                end = instr.args.map.end_to_source(at + m.end(1))
                fix = Fix((Edit(start, end, m.group(1).lower()),))
            yield ctx.violation(
                "DLB003", f"Defined protocol '{word}' in EXPOSE instruction should be lowercase", instr, fix=fix
            )


@rule("DLB004")
def consistent_instruction_casing(ctx: Context) -> Iterator[Violation]:
    # An unknown instruction is already DL1000 (BuildKit stops there): no casing to agree on.
    instrs = [i for i in ctx.dockerfile.instructions if i.keyword.lower() in KEYWORDS]
    upper = sum(1 for i in instrs if i.raw_keyword.isupper())
    lower = sum(1 for i in instrs if i.raw_keyword.islower())
    majority_upper = upper >= lower
    case = "uppercase" if majority_upper else "lowercase"
    for instr in instrs:
        word = instr.raw_keyword
        wanted = word.upper() if majority_upper else word.lower()
        if word == wanted:
            continue
        start = instr.start_offset
        # A keyword split by a line continuation (`ru\` + `n echo`) is left as it is.
        written = ctx.dockerfile.text[start : start + len(word)] == word
        yield ctx.violation(
            "DLB004",
            f"Command '{word}' should match the case of the command majority ({case})",
            instr, start, start + len(word),
            fix=Fix((Edit(start, start + len(word), wanted),)) if written else None,
        )


def _empty_continuation(df: Dockerfile, instr: Instruction) -> int | None:
    """The line BuildKit's parser warns on (the instruction's last joined line) when a blank
    line sits inside the instruction's `\\` continuation; comment lines do not count."""
    esc, starts, text = df.directives.escape, df.line_starts, df.text
    empty = False
    line = instr.start_line
    while True:
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(text)
        body = text[start:end].rstrip("\r")
        stripped = body.lstrip(GO_SPACE)
        if line > instr.start_line and not stripped:
            empty = True
        elif line == instr.start_line or stripped[0] != "#":
            trimmed = body.rstrip(" \t")
            if not (trimmed.endswith(esc) and (len(trimmed) == 1 or trimmed[-2] != esc)):
                break
        if line >= len(starts) or line >= instr.end_line:
            break
        line += 1
    return line if empty else None


def _blank_line_inside(df: Dockerfile, instr: Instruction) -> bool:
    """A blank line among the instruction's lines, found with one search: only then are its lines
    read one by one (most instructions have none)."""
    starts = df.line_starts
    first = starts[instr.start_line - 1]  # its first line's start: the keyword may come lines later
    last = starts[instr.end_line] - 1 if instr.end_line < len(starts) else len(df.text)  # its last line's end
    return _BLANK_LINE.search(df.text, first, last) is not None


@rule("DLB005")
def no_empty_continuation(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in df.instructions:
        if instr.end_line == instr.start_line or not _blank_line_inside(df, instr):
            continue
        line = _empty_continuation(df, instr)
        if line is not None:
            start = df.line_starts[line - 1]
            yield ctx.violation("DLB005", "Empty continuation line", instr, start, start)


_ONCE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


@rule("DLB008")
def multiple_instructions(ctx: Context) -> Iterator[Violation]:
    """BuildKit reports the earlier instruction of each pair: it is the one the build ignores."""
    for stage in ctx.dockerfile.stages:
        last: dict[str, Instruction] = {}
        for instr in stage.instructions:
            if instr.keyword not in _ONCE:
                continue
            earlier = last.get(instr.keyword)
            if earlier is not None:
                yield ctx.violation(
                    "DLB008",
                    f"Multiple {instr.keyword} instructions should not be used in the same stage because only "
                    "the last one will be used",
                    earlier, *keyword_span(earlier),
                )
            last[instr.keyword] = instr


def _legacy_fix(ctx: Context, instr: Instruction) -> Fix | None:
    """`ENV k v` -> `ENV k=v`; a value of several words is double-quoted when nothing in it
    (a quote, the escape character) would read differently inside quotes."""
    args = instr.args.value
    esc = ctx.dockerfile.directives.escape
    key, value = instr.values[0], instr.values[1]
    gap = _BLANKS.match(args, len(key))
    if not args.startswith(key) or gap is None or not args.endswith(value):
        return None
    start, end = instr.args.source_offset(gap.start()), instr.args.map.end_to_source(gap.end())
    value_end = instr.args.map.end_to_source(len(args))
    if "\n" in ctx.dockerfile.text[start:value_end]:
        return None
    if len(parse_words(value, esc)) == 1 and not any(ch in value for ch in GO_SPACE):
        return Fix((Edit(start, end, "="),))
    if any(ch in value for ch in ("'", '"', esc)):
        return None
    return Fix((Edit(start, end, '="'), Edit(value_end, value_end, '"')))


@rule("DLB009")
def legacy_key_value(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword not in ("ENV", "LABEL") or len(instr.values) != 3 or instr.values[2] != "":
            continue
        yield ctx.violation(
            "DLB009",
            f'"{instr.keyword} key=value" should be used instead of legacy "{instr.keyword} key value" format',
            instr, *keyword_span(instr),
            fix=_legacy_fix(ctx, instr),
        )


@rule("DLB013")
def expose_invalid_format(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "EXPOSE":
            continue
        for op in ctx.per_instruction(operands, instr):
            port = op.value
            if ":" in port and "$" not in port:
                yield ctx.violation(
                    "DLB013",
                    f"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'",
                    instr, op.start, op.end,
                )


@rule("DLB014")
def invalid_definition_description(ctx: Context) -> Iterator[Violation]:
    """validateDefinitionDescription: the comment block's last line must start with the name."""
    for instr in ctx.dockerfile.instructions:
        if not instr.comments:
            continue
        if instr.keyword == "ARG":
            keys = [word.partition("=")[0] for word in instr.values]
        elif instr.keyword == "FROM" and instr.stage >= 0 and ctx.dockerfile.stages[instr.stage].alias:
            keys = [ctx.dockerfile.stages[instr.stage].alias or ""]
        else:
            continue
        if not keys or instr.comments[-1].text.split(" ")[0] in keys:
            continue
        example = keys[0] if len(keys) == 1 else "<arg_key>"
        yield ctx.violation(
            "DLB014",
            f"Comment for {instr.keyword} should follow the format: `# {example} <description>`",
            instr, *keyword_span(instr),
        )
