"""DLT005: one package per line, so a diff shows exactly which package came or went."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_lists import INSTALLS
from dlint.lint.context import Context
from dlint.lint.edits import INDENT, line_indent, script_region
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction
from dlint.parsing.packages import PackageCommand, package_name
from dlint.parsing.shell import POSIX_SHELLS, Word

MAX_ON_ONE_LINE = 2


def gaps(df: Dockerfile, words: tuple[Word, ...]) -> list[str]:
    """The text between each word and the one before it."""
    return [df.text[a.end_offset : b.start_offset] for a, b in zip(words, words[1:], strict=False)]


def one_per_line(df: Dockerfile, pc: PackageCommand) -> bool:
    """Every package starts a line: none shares its line with the command or another package."""
    words = pc.command.words
    before = {b: a for a, b in zip(words, words[1:], strict=False)}
    return all("\n" in df.text[before[p].end_offset : p.start_offset] for p in pc.packages)


def layout_fix(df: Dockerfile, instr: Instruction, pc: PackageCommand) -> Fix | None:
    """Rewrite the package words one per line, sorted, indented under the command.

    Left to the user when the packages are not one contiguous run of words, sit in
    a quoted `sh -c` string, exec form, or have comments between them.
    """
    words, packages = pc.command.words, pc.packages
    first = words.index(packages[0])
    if (
        instr.is_exec_form
        or any(w.split()[0] in POSIX_SHELLS for w in pc.command.wrappers)
        or words[first : first + len(packages)] != packages
        or any("#" in gap for gap in gaps(df, packages))
        or any("\n" in df.text[w.start_offset : w.end_offset] for w in packages)  # `\`` + a line in a heredoc
    ):
        return None
    literal = sorted((w for w in packages if w.literal), key=lambda w: package_name(w.value, pc.manager))
    ordered = literal + [w for w in packages if not w.literal]
    indent = line_indent(df, pc.command.start_offset) + INDENT
    # The Dockerfile's escape continues the RUN's lines (`# escape=\``: a `\` would end the RUN there); a heredoc
    # body is the shell's own text, where only `\` continues a line (a backquote would start a substitution).
    at = packages[0].start_offset
    heredoc = script_region(instr, at)[2] is not None
    esc = "\\" if heredoc else df.directives.escape
    text = "".join(f" {esc}\n{indent}{df.text[w.start_offset : w.end_offset]}" for w in ordered)
    return Fix((Edit(words[first - 1].end_offset, packages[-1].end_offset, text),))


@rule("DLT005")
def one_package_per_line(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in ctx.runs():
        for pc in ctx.package_commands(instr):
            if pc.subcommand not in INSTALLS.get(pc.manager, ()) or len(pc.packages) <= MAX_ON_ONE_LINE:
                continue
            if one_per_line(df, pc):
                continue
            yield ctx.violation(
                "DLT005",
                f"{len(pc.packages)} packages of `{pc.manager} {pc.subcommand}` share lines: put each on its "
                "own continuation line, so diffs show one package per line",
                instr,
                pc.packages[0].start_offset,
                pc.packages[-1].end_offset,
                layout_fix(df, instr, pc),
            )
