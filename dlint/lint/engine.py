"""Runs the selected checks over one parsed file and turns violations into findings."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from dlint.lint.check_directive import CheckDirective, parse_check
from dlint.lint.context import Context, ScriptCache
from dlint.lint.suppress import Pragmas
from dlint.lint.finding import Anchor, Finding, Level, Replacement, Violation
from dlint.lint.registry import SHELLCHECK, SHELLCHECK_CODES, CheckFn, Rule, all_rules
from dlint.model import Dockerfile, ParseError

PARSE_ERROR = "DL1000"


@dataclass
class Selection:
    """Which rules run and at what level; config and flags both resolve to one of these."""

    codes: frozenset[str]
    levels: dict[str, Level] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # rule code -> its settings from config
    inline_ignores: bool = True  # False: `--no-inline-ignores`, pragmas silence nothing
    shellcheck: bool = False  # also run ShellCheck on RUN scripts; `codes` still selects its SC codes
    targets: tuple[str, ...] = ()  # the stages that ship (`targets`, `--target`); empty: every unused stage

    @classmethod
    def default(cls) -> Selection:
        return cls(default_codes())


@cache
def default_codes() -> frozenset[str]:
    """What runs when nothing selects: the default rules, and every SC code (ShellCheck itself is opt-in)."""
    return frozenset(code for code, r in all_rules().items() if r.default) | SHELLCHECK_CODES


class RuleCrash(NamedTuple):
    """A check raised (a dlint bug) or ShellCheck failed: reported instead of aborting the whole run."""

    code: str
    error: str


def debug_traceback() -> None:
    """DLINT_DEBUG=1 prints the traceback of a caught crash, for a bug report; otherwise its one line is all."""
    if os.environ.get("DLINT_DEBUG"):
        import traceback

        traceback.print_exc()


def lint(
    df: Dockerfile, selection: Selection | None = None, reuse: ScriptCache | None = None
) -> tuple[list[Finding], list[RuleCrash]]:
    """Every finding of the selected rules, inline-suppressed ones included (marked `suppressed`).
    `reuse`: shell views from an earlier lint of the same buffer (the language server's)."""
    selection = selection or Selection.default()
    rules = all_rules()
    if selection.targets:
        df.ship_only(selection.targets)
    if reuse is not None:
        reuse.next_lint()
    ctx = Context(df, selection.options, reuse=reuse)
    found: list[tuple[Finding, int]] = [  # with the instruction index each is about (-1: the file)
        (_parse_error(df, e, rules[PARSE_ERROR], selection), e.instruction)
        for e in df.errors
        if PARSE_ERROR in selection.codes and not (e.rule and e.rule in selection.codes)
    ]
    refused = {e.instruction for e in df.errors if e.instruction >= 0}  # BuildKit stops there: nothing else to say
    crashes: list[RuleCrash] = []
    directive = parse_check(df.directives.check)
    for code, check in _checks(selection.codes, directive) if df.instructions else ():
        try:
            violations = list(check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others
            debug_traceback()
            crashes.append(RuleCrash(code, f"{type(exc).__name__}: {exc}"))
            continue
        if violations:  # most rules find nothing in most files
            found.extend(
                (to_finding(df, v, rules[v.code], selection, directive), v.instruction)
                for v in violations
                if v.instruction not in refused
            )
    if selection.shellcheck and df.instructions:
        from dlint.lint import shellcheck  # a subprocess per run, opt-in: not imported otherwise

        try:
            found.extend(
                (_finding(df, v, SHELLCHECK, selection.levels.get(v.code, level)), v.instruction)
                for v, level in shellcheck.run(ctx)
                if v.code in selection.codes and v.instruction not in refused
            )
        except shellcheck.ShellcheckError as exc:
            crashes.append(RuleCrash(SHELLCHECK, str(exc)))
    if PARSE_ERROR in selection.codes:  # the RUNs the shell parser could not be trusted with, as the checks met them
        found.extend(
            (to_finding(df, ctx.violation(PARSE_ERROR, message, instr), rules[PARSE_ERROR], selection, directive),
             instr.index)
            for instr, message in ctx.unanalysed
            if instr.index not in refused
        )
    found.sort(key=lambda pair: pair[0].sort_key())
    # BuildKit would reject the file, or a RUN was not analysed (DL1000, whether selected or not): dlint cannot
    # know what a fix means, so no finding has one (--fix, the counts, the editor's quick fixes).
    if df.errors or ctx.unanalysed:
        for finding, _ in found:
            finding.fix, finding.replacements = None, ()
    _identify(df, found)
    mark_suppressed(df, ctx.pragmas, found, selection)
    return [f for f, _ in found], crashes


def mark_suppressed(df: Dockerfile, pragmas: Pragmas, found: list[tuple[Finding, int]], selection: Selection) -> None:
    """Mark each finding (with the index of the instruction it is about, -1: the file) that a pragma silences."""
    if selection.inline_ignores:
        for finding, instruction in found:
            pragma = pragmas.suppression(df, finding.code, instruction)
            finding.suppressed = pragma.justification if pragma else None


@cache
def _checks(codes: frozenset[str], directive: CheckDirective) -> tuple[tuple[str, CheckFn], ...]:
    """The checks to run, in code order: worked out once per selection and `# check=` directive
    (nearly every file has the same two), not once per rule and file."""
    return tuple(
        (code, rule.check)
        for code, rule in all_rules().items()
        if rule.check is not None and runs(rule, codes, directive)
    )


def runs(rule: Rule, codes: frozenset[str], directive: CheckDirective) -> bool:
    """The selection runs `rule`, unless the file's `# check=skip=` names it; `# check=` may also enable it."""
    return (rule.code in codes and not directive.skips(rule)) or directive.enables(rule)


def _identify(df: Dockerfile, found: list[tuple[Finding, int]]) -> None:
    """Code, the instruction's text (whitespace and continuations normalised) and the
    finding's rank among identical ones: lines added above it leave it unchanged.

    Each instruction's text is normalised once and shared by its findings, and equal
    texts share one Anchor: time and memory stay linear in the file.
    """
    continuation = re.compile(df.continuation)
    by_place: dict[tuple[int, int], Anchor] = {}  # (instruction, -1) or (-1, line) -> its anchor
    by_text: dict[str, Anchor] = {}
    seen: dict[tuple[str, int], int] = {}  # (code, id of the anchor) -> findings so far
    for finding, instruction in found:
        place = (instruction, -1) if instruction >= 0 else (-1, finding.line)
        anchor = by_place.get(place)
        if anchor is None:
            if instruction >= 0:
                text = df.text_of(df.instructions[instruction])
            else:
                start = df.line_starts[min(finding.line, len(df.line_starts)) - 1]
                end = df.text.find("\n", start)
                text = df.text[start : end if end >= 0 else len(df.text)]
            normal = " ".join(continuation.sub(" ", text).split())
            anchor = by_place[place] = by_text.setdefault(normal, Anchor(normal))
        key = (finding.code, id(anchor))
        finding.anchor, finding.rank = anchor, seen.get(key, 0)
        seen[key] = finding.rank + 1


def to_finding(df: Dockerfile, v: Violation, rule: Rule, selection: Selection, directive: CheckDirective) -> Finding:
    """`# check=error=true` makes a BuildKit check an error, as `docker build --check` fails on it."""
    level = Level.ERROR if directive.error and rule.buildkit else selection.levels.get(v.code, rule.level)
    return _finding(df, v, rule.name, level)


def _finding(df: Dockerfile, v: Violation, name: str, level: Level) -> Finding:
    end = max(v.end_offset, v.start_offset)
    line, col = df.position(v.start_offset)
    end_line, end_col = df.position(end)
    instr = df.instructions[v.instruction] if v.instruction >= 0 else None
    start_bytes, end_bytes = _byte_column(df, v.start_offset, line, col), _byte_column(df, end, end_line, end_col)
    units = _utf16_column(df, v.start_offset, line, col), _utf16_column(df, end, end_line, end_col)
    return Finding(
        file=df.path,
        line=line,
        column=col,
        end_line=end_line,
        end_column=end_col,
        code=v.code,
        name=name,
        level=level,
        message=v.message,
        instruction_line=instr.start_line if instr else line,
        instruction_end_line=instr.end_line if instr else end_line,
        fix=v.fix,
        byte_columns=None if (start_bytes, end_bytes) == (col, end_col) else (start_bytes, end_bytes),
        utf16_columns=None if units == (col, end_col) else units,
        replacements=tuple(_replacement(df, e.start, e.end, e.text) for e in v.fix.edits) if v.fix else (),
    )


def _byte_column(df: Dockerfile, offset: int, line: int, column: int) -> int:
    """The UTF-8 byte column of a character column: the same on an ASCII line (each line checked once,
    so many findings on one long line stay linear)."""
    if df.line_is_ascii(line):
        return column
    return df.units_before(offset, line, "utf-8") + 1


def _utf16_column(df: Dockerfile, offset: int, line: int, column: int) -> int:
    """The UTF-16 column of a character column: one more for each astral character before it."""
    if df.line_is_ascii(line):
        return column
    return df.units_before(offset, line, "utf-16-le") // 2 + 1


def _replacement(df: Dockerfile, start: int, end: int, text: str) -> Replacement:
    line, col = df.position(start)
    end_line, end_col = df.position(end)
    return Replacement(
        line, col, end_line, end_col, _byte_column(df, start, line, col), _byte_column(df, end, end_line, end_col), text
    )


def _parse_error(df: Dockerfile, err: ParseError, rule: Rule, selection: Selection) -> Finding:
    end_line, end_column = err.end or (err.line, err.column)
    instr = df.instructions[err.instruction] if err.instruction >= 0 else None
    byte_columns = units = None
    if instr is not None:  # a span inside an instruction: reporters may want its UTF-8 and UTF-16 columns
        start = df.line_starts[err.line - 1] + err.column - 1
        end = df.line_starts[end_line - 1] + end_column - 1
        byte_columns = _byte_column(df, start, err.line, err.column), _byte_column(df, end, end_line, end_column)
        units = _utf16_column(df, start, err.line, err.column), _utf16_column(df, end, end_line, end_column)
    return Finding(
        file=df.path,
        line=err.line,
        column=err.column,
        end_line=end_line,
        end_column=end_column,
        code=PARSE_ERROR,
        name=rule.name,
        level=selection.levels.get(PARSE_ERROR, rule.level),
        message=err.message,
        instruction_line=instr.start_line if instr else err.line,
        instruction_end_line=instr.end_line if instr else err.line,
        byte_columns=None if byte_columns == (err.column, end_column) else byte_columns,
        utf16_columns=None if units == (err.column, end_column) else units,
    )
