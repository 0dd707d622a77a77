"""Package lists of system package managers: sorted and free of repeats."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.packages import PackageCommand, package_name
from dlint.parsing.shell import Word

INSTALLS = {
    "apt-get": {"install"},
    "apt": {"install"},
    "aptitude": {"install"},
    "apk": {"add"},
    "yum": {"install"},
    "dnf": {"install"},
    "microdnf": {"install"},
    "zypper": {"install", "in"},
}


def system_installs(ctx: Context) -> Iterator[tuple[Instruction, PackageCommand, list[tuple[Word, str]]]]:
    """Each system install command with its literal packages and their comparison keys."""
    for instr in ctx.runs():
        for pc in ctx.package_commands(instr):
            if pc.subcommand in INSTALLS.get(pc.manager, ()):
                words = [(w, package_name(w.value, pc.manager)) for w in pc.packages if w.literal]
                yield instr, pc, words


@rule("DLT002")
def unsorted_packages(ctx: Context) -> Iterator[Violation]:
    for instr, pc, words in system_installs(ctx):
        for (_, prev), (word, key) in zip(words, words[1:]):
            if key < prev:
                yield ctx.violation(
                    "DLT002",
                    f"packages of `{pc.manager} {pc.subcommand}` are not sorted: `{word.value}` should come "
                    f"before `{prev}`",
                    instr,
                    word.start_offset,
                    word.end_offset,
                )
                break


@rule("DLT003")
def duplicate_packages(ctx: Context) -> Iterator[Violation]:
    for instr, pc, words in system_installs(ctx):
        seen: set[str] = set()
        for word, key in words:
            if key in seen:
                yield ctx.violation(
                    "DLT003",
                    f"`{key}` is named more than once in this `{pc.manager} {pc.subcommand}`",
                    instr,
                    word.start_offset,
                    word.end_offset,
                )
            seen.add(key)
