"""DLR006: a package index refreshed in a RUN that installs nothing after it, for the managers
besides apt (DLT001): apk, zypper, and yum/dnf `makecache`."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.apt import LIST_BLIND
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.packages import PackageCommand

# (manager, subcommand) that only refresh the index; yum/dnf `update` upgrades packages, so it is not one.
REFRESHES = frozenset({("apk", "update"), ("zypper", "refresh"), ("yum", "makecache"), ("dnf", "makecache"),
                       ("microdnf", "makecache")})
INDEX_BLIND = LIST_BLIND - {"apt-get", "apt"}


def _nothing_reads_after(ctx: Context, instr: Instruction, refresh: PackageCommand) -> bool:
    """Only commands known not to read the index follow (the same caution as DLT001)."""
    script = ctx.script(instr)
    if script is None:
        return False
    pkgs = {id(p.command): p for p in ctx.package_commands(instr)}
    for c in script.commands:
        if c.start_offset <= refresh.command.start_offset:
            continue
        same = pkgs.get(id(c))
        if same is not None and same.manager == refresh.manager and same.subcommand in ("clean", refresh.subcommand):
            continue
        if c.wrappers or c.name not in INDEX_BLIND:
            return False
    return True


@rule("DLR006")
def index_refresh_alone(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.runs():
        for pc in ctx.package_commands(instr):
            if (pc.manager, pc.subcommand) in REFRESHES and _nothing_reads_after(ctx, instr, pc):
                yield ctx.violation(
                    "DLR006",
                    f"`{pc.manager} {pc.subcommand_word.value if pc.subcommand_word else pc.subcommand}` runs in a "
                    "RUN that installs nothing after it: the index is cached in its own layer and goes stale; "
                    "refresh and install in the same RUN",
                    instr, pc.command.start_offset, pc.command.end_offset,
                )
