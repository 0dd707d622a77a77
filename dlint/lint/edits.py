"""Edits that fixes share: deleting an instruction, taking a command out of a `&&`/`;`
list, putting a command before or after others, each in the style the RUN is written in.

Every builder returns None when it cannot be sure the shell would read the result
as intended (pipelines, conditions, quoted `sh -c` strings, comments in the way):
a finding without a fix is better than a fix that changes what the build runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.lint.finding import Edit
from dlint.lint.suppress import Pragma, parse_pragma
from dlint.model import Comment, Dockerfile, Heredoc, Instruction
from dlint.parsing.shell import Command, Script, Word, heredoc_script

INDENT = "    "
# A redirection after a command's last word: `>/dev/null`, `2>&1`, `>> log`.
_REDIRECT = r"\d*(?:&>>|&>|>>|>&|<&|>|<)[ \t]*[^\s;&|()<>]+"
_BLANKS = lazy(r"[ \t]*")
_OPENERS = lazy(r"(?:&&|;|\{|(?:^|[\s;])(?:then|do|else))\Z")


class _Gap(NamedTuple):
    """The text between two commands, split at its operator: `[redirects] ws [op] ws`."""

    start: int  # file offset where the gap starts
    redirects: int  # length of the redirections right after the earlier command
    op: str  # "&&", ";" or "" (none)
    op_start: int  # file offset of the operator (of the gap's end when there is none)


def _gap(df: Dockerfile, start: int, end: int, newlines: bool = False) -> _Gap | None:
    """Parse text[start:end] as the space between two list elements; None if it holds more."""
    ws = rf"(?:[ \t\r{chr(10) if newlines else ''}]|{df.continuation})*"
    m = re.fullmatch(rf"((?:{ws}{_REDIRECT})*)({ws})(&&|;)?{ws}", df.text[start:end])
    if m is None:
        return None
    op_start = start + m.end(2) if m.group(3) else end
    return _Gap(start, len(m.group(1)), m.group(3) or "", op_start)


def script_region(instr: Instruction, offset: int) -> tuple[int, int, Heredoc | None]:
    """[start, end) of the shell text holding `offset`: the command line or a heredoc body."""
    for heredoc in instr.heredocs:
        if heredoc.body_offset <= offset <= heredoc.terminator_offset:
            return heredoc.body_offset, heredoc.terminator_offset, heredoc
    args = instr.args
    return args.map.to_source(0), args.map.end_to_source(len(args.value)), None


def _in_quoted_shell(cmd: Command) -> bool:
    """Inside an `sh -c '...'` string: text put there would need that string's quoting."""
    return any(w.endswith(" -c") for w in cmd.wrappers)


def _rewritable(instr: Instruction, script: Script, cmd: Command) -> bool:
    """A top-level list element of a shell-form RUN: one that text can be joined to or cut from. Not in a
    script the shell parser could not read: where its commands end is then a guess."""
    return not (instr.is_exec_form or script.errors or cmd.in_pipeline or cmd.in_condition or cmd.negated
                or _in_quoted_shell(cmd))


def _neighbours(script: Script, cmd: Command) -> tuple[Command | None, Command | None]:
    commands = script.commands
    i = commands.index(cmd)
    return (commands[i - 1] if i > 0 else None), (commands[i + 1] if i + 1 < len(commands) else None)


def line_start(df: Dockerfile, offset: int) -> int:
    return df.text.rfind("\n", 0, offset) + 1


def line_indent(df: Dockerfile, offset: int) -> str:
    """The spaces and tabs that start the line holding `offset`."""
    start = line_start(df, offset)
    return _BLANKS.match(df.text, start, max(offset, start)).group()


def command_text(df: Dockerfile, cmd: Command) -> str:
    """A command as it can be written at the top level of another RUN."""
    text = df.text[cmd.start_offset : cmd.end_offset]
    if "\n" in text or _in_quoted_shell(cmd):
        return " ".join(w.raw for w in (*cmd.assignments, *cmd.words))
    return text


def redirected(df: Dockerfile, instr: Instruction, script: Script, cmd: Command) -> bool:
    """`cmd` has redirections after its words (`> log`, `2>&1`), which command_text leaves out; True also
    when the text after it is not one dlint can read as redirections and an operator."""
    start, end, heredoc = script_region(instr, cmd.start_offset)
    _prev, nxt = _neighbours(script, cmd)
    gap = _gap(df, cmd.end_offset, nxt.start_offset if nxt and nxt.start_offset <= end else end, heredoc is not None)
    return gap is None or gap.redirects > 0


def delete_instruction(df: Dockerfile, instr: Instruction) -> tuple[Edit, ...]:
    """Remove the instruction with its lines and the pragmas bound to it (bound_pragmas); other comments
    above it stay. Left behind, an `ignore=` pragma would silence the next instruction instead."""
    return (*(_line_edit(df, c.offset) for c in bound_pragmas(df, instr)), _instruction_edit(df, instr))


def bound_pragmas(df: Dockerfile, instr: Instruction) -> list[Comment]:
    """The pragma lines above `instr` that take effect only through it: `ignore=` and `stage ignore=` bind to
    the instruction below them, and a `shell=` with no later instruction in the stage applies to no other."""
    later_in_stage = instr.index + 1 < len(df.instructions) and df.instructions[instr.index + 1].stage == instr.stage
    out = []
    for comment in instr.comments:
        pragma = parse_pragma(comment)
        if isinstance(pragma, Pragma) and (
            pragma.scope in ("instruction", "stage") or (pragma.scope == "shell" and not later_in_stage)
        ):
            out.append(comment)
    return out


def _line_edit(df: Dockerfile, offset: int) -> Edit:
    """Remove the whole line holding `offset`, its newline included."""
    newline = df.text.find("\n", offset)
    return Edit(line_start(df, offset), len(df.text) if newline < 0 else newline + 1, "")


def _instruction_edit(df: Dockerfile, instr: Instruction) -> Edit:
    """Remove the instruction with its lines."""
    text = df.text
    start, end = instr.start_offset, instr.end_offset
    first = line_start(df, start)
    if not text[first:start].strip(" \t"):
        start = first
    newline = text.find("\n", end)
    line_end = len(text) if newline < 0 else newline
    if not text[end:line_end].strip(" \t\r"):
        end = line_end + 1 if newline >= 0 else line_end
        if newline < 0 and start == first and start > 0:  # last line: take the newline before it
            start -= 2 if text[start - 2 : start] == "\r\n" else 1
    return Edit(start, end, "")


def remove_command(df: Dockerfile, instr: Instruction, script: Script, cmd: Command) -> Edit | None:
    """Take `cmd` out of a `a && b; c` list with the operator that tied it to its neighbour.

    Of the two operators around a middle command the `&&` goes, so `a && x; b`
    becomes `a; b` and `a; x && b` becomes `a; b`: what ran regardless still does.
    """
    if not _rewritable(instr, script, cmd):
        return None
    start, end, heredoc = script_region(instr, cmd.start_offset)
    prev, nxt = _neighbours(script, cmd)
    if prev is not None and prev.end_offset < start:
        prev = None
    if nxt is not None and nxt.start_offset > end:
        nxt = None
    nl = heredoc is not None
    before = _gap(df, prev.end_offset if prev else start, cmd.start_offset, nl)
    after = _gap(df, cmd.end_offset, nxt.start_offset if nxt else end, nl)
    if before is None or after is None or (prev is None and nxt is None):
        return None
    if prev is None and before.redirects:
        return None
    joined_to_next = nxt is not None and (after.op or (nl and "\n" in df.text[cmd.end_offset : nxt.start_offset]))
    if joined_to_next and (prev is None or before.op != "&&"):
        return Edit(cmd.start_offset, nxt.start_offset, "")
    if prev is not None and before.op:  # from right after the previous command, continuations included
        return Edit(before.start + before.redirects, cmd.end_offset + after.redirects, "")
    return None


def insert_after(df: Dockerfile, cmd: Command, word: Word, text: str) -> Edit | None:
    """`text` (an option, with the space before it) written right after `word` of `cmd`; None in an `sh -c`
    string where `word` is not followed by another of the command's words with only blanks (and line
    continuations) between, as written: there a space after it may land outside the string's quotes
    (`sh -c "apt-get "install" x"`, `sh -c apt-get\\ install\\ x`) and end the string's word, so the option
    would become sh's `$0`."""
    if _in_quoted_shell(cmd):
        words = cmd.words
        at = next((i for i, w in enumerate(words) if w is word), len(words))
        gap = df.text[word.end_offset : words[at + 1].start_offset] if at + 1 < len(words) else ""
        blanks = re.sub(df.continuation, "", gap)  # one pass: a regex of blanks around a blank backtracked (n²)
        if not blanks or blanks.strip(" \t"):
            return None
    return Edit(word.end_offset, word.end_offset, text)


def prefix_command(df: Dockerfile, instr: Instruction, script: Script, cmd: Command, text: str) -> Edit | None:
    """`text && ` written in front of `cmd`, where that joins the same list `cmd` is in."""
    if not _rewritable(instr, script, cmd):
        return None
    start, _end, heredoc = script_region(instr, cmd.start_offset)
    prev, _nxt = _neighbours(script, cmd)
    gap_start = prev.end_offset if prev is not None and prev.end_offset >= start else start
    gap = re.sub(df.continuation, " ", df.text[gap_start : cmd.start_offset])
    gap = re.sub(_REDIRECT, " ", gap) if gap_start != start else gap
    stripped = gap.strip()
    if _OPENERS.search(stripped) or (not stripped and (gap_start == start or (heredoc and "\n" in gap))):
        return Edit(cmd.start_offset, cmd.start_offset, f"{text} && ")
    return None


def sets_errexit(run_shell: Sequence[str], script: Script, last: Command) -> bool:
    """The shell that runs `last` stops at the first failing command: `SHELL [..., "-e", ...]` or `set -e`
    earlier in that shell."""
    on = _errexit(list(run_shell[1:]), False)
    for cmd in script.commands:
        if cmd.start_offset < last.start_offset and cmd.name == "set":
            after = _errexit([w.value for w in cmd.args], on)
            on = after if _certainly_before(cmd, last) else on and after  # one that may run may turn it off
    return on


def _certainly_before(cmd: Command, last: Command) -> bool:
    """`cmd` runs, in the shell that runs `last`: not in a subshell, branch, pipeline, function or another
    shell's script, nor after another command of its `&&` list (`(set -e)`, `false && set -e`)."""
    place = cmd.place
    return place.scope == last.place.scope and cmd.wrappers == last.wrappers and not place.nested \
        and place.element == 0


def _errexit(words: list[str], on: bool) -> bool:
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-", "--") or len(word) < 2 or word[0] not in "-+":
            break  # the options end: what follows are positional parameters (`set -- -e`)
        if not word.startswith("--") and word[1:].isalpha():
            if "e" in word[1:]:
                on = word[0] == "-"
            if word[-1] == "o" and i + 1 < len(words):
                if words[i + 1] == "errexit":
                    on = word[0] == "-"
                i += 1  # the option's name (`-o pipefail`)
        i += 1
    return on


def append_command(df: Dockerfile, instr: Instruction, script: Script, text: str,
                   run_shell: Sequence[str]) -> Edit | None:
    """`text` run after everything else in the RUN, only if everything before it succeeded.
    `run_shell`: the SHELL in force at `instr` (Context.shell_in_force, worked out once per file).

    `&& text` goes after the last command (on its line for a one-line RUN, else
    on a new continuation line indented like the others, the operator leading
    or trailing as the RUN does). In a `set -e` script written with `;` it is
    `; text`, and in a `set -e` heredoc a new line before the terminator: those
    stop at a failure anyway. Without `set -e` a new line would run even after
    a failure and hide it, so the heredoc line gets `&& text` instead (the
    SHELL's `-e` does not reach a body run by its `#!` line or fed to a command).
    """
    if instr.is_exec_form or not script.commands or script.errors:
        return None  # errors: the shell parser could not read the script, so where it ends is a guess
    last = max(script.commands, key=lambda c: c.end_offset)
    if _in_quoted_shell(last):
        return None
    start, end, heredoc = script_region(instr, last.start_offset)
    if last.end_offset > end or (heredoc and any(c.start_offset < heredoc.body_offset for c in script.commands)):
        return None  # with commands outside the body, the body's end is not the script's end
    if _leaves_shell(last) and not _after_or(df, script, last, start):
        return None  # `... && exit 0`, `&& exec app`: the shell is gone before `text` would run
    tail = _gap(df, last.end_offset, end, heredoc is not None)
    if tail is None or tail.op == "&&":
        return None
    at = last.end_offset + tail.redirects
    prev, _ = _neighbours(script, last)
    lead = df.text[prev.end_offset : last.start_offset] if prev is not None and prev.end_offset >= start else ""
    # The SHELL's flags reach a heredoc only when BuildKit hands it the body as the RUN's script: not a body it
    # runs as a file by its `#!` line, nor one fed to a command (`bash <<EOF`), whose shell has flags of its own.
    own = heredoc is None or (heredoc_script(instr) is heredoc and not heredoc.body.startswith("#!"))
    errexit = sets_errexit(run_shell if own else (), script, last)
    if heredoc is not None:
        if errexit:
            return Edit(end, end, f"{line_indent(df, last.start_offset)}{text}\n")
        return Edit(at, at, f" && {text}")
    semicolons = errexit and (tail.op == ";" or (";" in lead and "&&" not in lead))
    after_semicolon = semicolons and tail.op == ";"
    if after_semicolon:
        at = tail.op_start + 1
    if "\n" not in df.text[instr.start_offset : at]:
        return Edit(at, at, (" " if after_semicolon else "; " if semicolons else " && ") + text)
    esc = df.directives.escape
    leading, indent = _continuation_style(df, instr, script, at)
    if after_semicolon:
        return Edit(at, at, f" {esc}\n{indent}{text}")
    if leading:
        return Edit(at, at, f" {esc}\n{indent}{';' if semicolons else '&&'} {text}")
    return Edit(at, at, f"{';' if semicolons else ' &&'} {esc}\n{indent}{text}")


_LEAVING = frozenset({"exit", "return", "logout"})


def _leaves_shell(cmd: Command) -> bool:
    """`cmd` ends the shell that runs it: `exit`, `return`, or `exec` of a program (a bare `exec >log` only
    redirects, and the shell goes on)."""
    return cmd.name in _LEAVING and not cmd.wrappers or "exec" in cmd.wrappers and bool(cmd.words)


def _after_or(df: Dockerfile, script: Script, cmd: Command, start: int) -> bool:
    """`cmd` follows `||` (`a || exit 1`): it runs only when what came before failed."""
    prev, _ = _neighbours(script, cmd)
    if prev is None or prev.end_offset < start:
        return False
    return re.sub(df.continuation, " ", df.text[prev.end_offset : cmd.start_offset]).strip().endswith("||")


def _continuation_style(df: Dockerfile, instr: Instruction, script: Script, end: int) -> tuple[bool, str]:
    """(operators lead the lines, their indentation) from the RUN's continuation lines before `end`.

    Lines that start with an operator or a command set the style. When only
    arguments (say, one package per line) continue the RUN, the new line leads
    with its operator, indented like the last of them, as Docker's own docs write it.
    """
    starts = {c.start_offset for c in script.commands}
    style: tuple[bool, str] | None = None
    last = INDENT
    pos = instr.start_offset
    while (newline := df.text.find("\n", pos, end)) >= 0:
        pos = newline + 1
        here = _BLANKS.match(df.text, pos, end).group()
        body, last = pos + len(here), here or INDENT
        if df.text.startswith(("&&", ";", "||"), body):
            style = (True, here)
        elif body in starts:
            style = (False, here)
    return style or (True, last)
