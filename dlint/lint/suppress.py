"""Inline pragmas: `# dlint ignore=...` and hadolint's spellings of the same thing.

Grammar (after the `#`; the tool and keywords are case-sensitive, as in hadolint):

    dlint|hadolint [global|stage] ignore=CODE[,CODE...] [# reason]
    dlint|hadolint shell=NAME [# reason]

Where a pragma takes effect:
- `ignore=` in the comment block directly above an instruction: that instruction;
- `stage ignore=` in the comment block directly above a FROM: that stage;
- `global ignore=` on any comment line: the whole file;
- `shell=` before the first FROM: the default shell of every stage; elsewhere,
  from the next instruction to the end of its stage (a later SHELL wins).

Suppressed findings are kept, marked, so SARIF can report them as suppressed;
every pragma that cannot take effect (unknown code, wrong place, malformed) is
reported by DLT100 instead of silently doing nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.lint.registry import canonical
from dlint.model import Comment, Dockerfile, Instruction

_PRAGMA = lazy(
    r"""(?P<tool>dlint|hadolint)[ \t]+
    (?:
        (?:(?P<scope>global|stage)[ \t]+)?ignore[ \t]*=[ \t]*
            (?P<codes>[A-Za-z0-9]+(?:[ \t]*,[ \t]*[A-Za-z0-9]+)*)
      | shell[ \t]*=[ \t]*(?P<shell>[^\s#]+)
    )
    [ \t]*(?:\#[ \t]*(?P<reason>.*?))?[ \t]*$""",
    re.X,
)
# A comment that was meant as a pragma but does not parse (`# dlint: ignore DL3009`,
# `# DLINT ignore=...`): reported, since it silences nothing.
_LOOKS_LIKE_PRAGMA = lazy(r"(?:dlint|hadolint)\W*(?:global|stage|ignore|shell)\b", re.I)
# Codes hadolint knows; a `# hadolint` pragma naming one that dlint has no rule for is
# meant for hadolint and is left alone.
HADOLINT_CODE = lazy(r"(?:DL|SC)[0-9]{4}")


class Pragma(NamedTuple):
    tool: str  # "dlint" or "hadolint"
    scope: str  # "instruction", "stage", "global" or "shell"
    codes: tuple[str, ...]  # upper-cased; empty for shell=
    shell: str | None
    reason: str | None
    comment: Comment

    @property
    def justification(self) -> str:
        """What a suppressed finding carries: the reason, else the pragma itself."""
        return self.reason or f"# {self.comment.text} (line {self.comment.line})"


class Malformed(NamedTuple):
    """A comment that reads like a pragma but is not one."""

    comment: Comment


def parse_pragma(comment: Comment) -> Pragma | Malformed | None:
    m = _PRAGMA.fullmatch(comment.text)
    if m is None:
        return Malformed(comment) if _LOOKS_LIKE_PRAGMA.match(comment.text) else None
    if m["shell"]:
        scope = "shell"
        codes: tuple[str, ...] = ()
    else:
        scope = m["scope"] or "instruction"
        codes = tuple(canonical(c) for c in m["codes"].split(","))
    return Pragma(m["tool"], scope, codes, m["shell"], m["reason"] or None, comment)


def comment_lines(df: Dockerfile) -> Iterator[Comment]:
    """Every `#` line of the file outside heredoc bodies, with its position."""
    in_heredoc: set[int] = set()
    for instr in df.instructions:
        for h in instr.heredocs:
            in_heredoc.update(range(h.start_line, h.end_line + 1))
    text, starts = df.text, df.line_starts
    hash_at = text.find("#")
    while hash_at >= 0:  # only the lines with a `#` in them: most lines have none
        i = bisect_right(starts, hash_at) - 1
        start = starts[i]
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        hash_at = text.find("#", end)
        if i + 1 in in_heredoc:
            continue
        line = text[start:end].rstrip("\r\n")
        stripped = line.lstrip()
        if stripped.startswith("#"):
            offset = start + len(line) - len(stripped)
            yield Comment(stripped[1:].strip(), i + 1, offset)


@dataclass
class Pragmas:
    """The pragmas of one file, each resolved to where it applies."""

    found: list[Pragma] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)
    misplaced: list[Pragma] = field(default_factory=list)  # ignore= above no instruction, stage ignore= above no FROM
    whole_file: dict[str, Pragma] = field(default_factory=dict)  # code -> pragma
    by_stage: dict[int, dict[str, Pragma]] = field(default_factory=dict)  # stage index -> code -> pragma
    by_instruction: dict[int, dict[str, Pragma]] = field(default_factory=dict)  # instruction index -> ...
    _shells: dict[int | None, tuple[list[int], list[Pragma]]] | None = field(default=None, repr=False)

    def suppression(self, df: Dockerfile, code: str, instruction: int) -> Pragma | None:
        """The pragma that silences `code` on instruction number `instruction` (-1: the file)."""
        if code in self.whole_file:
            return self.whole_file[code]
        if instruction < 0:
            return None
        stage = df.instructions[instruction].stage
        return self.by_instruction.get(instruction, {}).get(code) or self.by_stage.get(stage, {}).get(code)

    def shell_for(self, df: Dockerfile, instr: Instruction, in_force: Instruction | None) -> tuple[str, ...] | None:
        """The shell a `shell=` pragma declares for `instr`; None when none applies.

        None also when a SHELL instruction written after the pragma is in force:
        it is the newer fact, and the shell view reads it by itself.
        """
        if self._shells is None:
            self._shells = _shell_pragmas(df, self.found)
        chosen: Pragma | None = None
        for key in (instr.stage, None):  # a pragma in the stage is newer than any before the first FROM
            lines, pragmas = self._shells.get(key, ((), ()))
            if (k := bisect_left(lines, instr.start_line)) > 0:
                chosen = pragmas[k - 1]
                break
        if chosen is None:
            return None
        if in_force is not None and in_force.start_line > chosen.comment.line:
            return None
        return (chosen.shell,) if chosen.shell else None


def _shell_pragmas(df: Dockerfile, found: list[Pragma]) -> dict[int | None, tuple[list[int], list[Pragma]]]:
    """`shell=` pragmas by the stage they apply to (None: before the first FROM, every stage), in line order."""
    first_from = df.stages[0].from_instruction.start_line if df.stages else None
    starts = [i.start_line for i in df.instructions]
    out: dict[int | None, tuple[list[int], list[Pragma]]] = {}
    for p in found:
        if p.scope != "shell":
            continue
        line = p.comment.line
        if first_from is None or line < first_from:
            key = None
        else:
            nxt = bisect_right(starts, line)  # the first instruction after the pragma
            if nxt == len(starts):
                continue
            key = df.instructions[nxt].stage
        lines, pragmas = out.setdefault(key, ([], []))
        lines.append(line)
        pragmas.append(p)
    return out


def read_pragmas(df: Dockerfile) -> Pragmas:
    owner = {c.line: instr.index for instr in df.instructions for c in instr.comments}
    out = Pragmas()
    for comment in comment_lines(df):
        parsed = parse_pragma(comment)
        if parsed is None:
            continue
        if isinstance(parsed, Malformed):
            out.malformed.append(parsed)
            continue
        out.found.append(parsed)
        target = owner.get(comment.line)
        if parsed.scope == "global":
            _add(out.whole_file, parsed)
        elif parsed.scope == "stage" and target is not None and df.instructions[target].keyword == "FROM":
            _add(out.by_stage.setdefault(df.instructions[target].stage, {}), parsed)
        elif parsed.scope == "instruction" and target is not None:
            _add(out.by_instruction.setdefault(target, {}), parsed)
        elif parsed.scope != "shell":
            out.misplaced.append(parsed)
    return out


def _add(table: dict[str, Pragma], pragma: Pragma) -> None:
    for code in pragma.codes:
        table.setdefault(code, pragma)
