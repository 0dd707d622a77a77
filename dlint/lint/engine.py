"""Runs the selected checks over one parsed file and turns violations into findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlint.lint.context import Context
from dlint.lint.finding import Finding, Level, Violation
from dlint.lint.registry import Rule, all_rules
from dlint.model import Dockerfile, ParseError

PARSE_ERROR = "DL1000"


@dataclass
class Selection:
    """Which rules run and at what level; config and flags both resolve to one of these."""

    codes: frozenset[str]
    levels: dict[str, Level] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Selection:
        return cls(frozenset(code for code, r in all_rules().items() if r.default))


@dataclass
class RuleCrash:
    """A check raised: a dlint bug, reported instead of aborting the whole run."""

    code: str
    error: str


def lint(df: Dockerfile, selection: Selection | None = None) -> tuple[list[Finding], list[RuleCrash]]:
    selection = selection or Selection.default()
    rules = all_rules()
    findings = [
        _parse_error(df, e, rules[PARSE_ERROR], selection)
        for e in df.errors
        if PARSE_ERROR in selection.codes
    ]
    crashes: list[RuleCrash] = []
    if not df.instructions:
        return findings, crashes
    ctx = Context(df, selection.options)
    for code in sorted(selection.codes):
        check = rules[code].check if code in rules else None
        if check is None:
            continue
        try:
            violations = list(check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others
            crashes.append(RuleCrash(code, f"{type(exc).__name__}: {exc}"))
            continue
        findings.extend(to_finding(df, v, rules[v.code], selection) for v in violations)
    findings.sort(key=Finding.sort_key)
    return findings, crashes


def to_finding(df: Dockerfile, v: Violation, rule: Rule, selection: Selection) -> Finding:
    line, col = df.position(v.start_offset)
    end_line, end_col = df.position(max(v.end_offset, v.start_offset))
    instr = df.instructions[v.instruction] if v.instruction >= 0 else None
    return Finding(
        file=df.path,
        line=line,
        column=col,
        end_line=end_line,
        end_column=end_col,
        code=v.code,
        name=rule.name,
        level=selection.levels.get(v.code, rule.level),
        message=v.message,
        instruction_line=instr.start_line if instr else line,
        instruction_end_line=instr.end_line if instr else end_line,
        fix=v.fix,
    )


def _parse_error(df: Dockerfile, err: ParseError, rule: Rule, selection: Selection) -> Finding:
    return Finding(
        file=df.path,
        line=err.line,
        column=err.column,
        end_line=err.line,
        end_column=err.column,
        code=PARSE_ERROR,
        name=rule.name,
        level=selection.levels.get(PARSE_ERROR, rule.level),
        message=err.message,
        instruction_line=err.line,
        instruction_end_line=err.line,
    )
