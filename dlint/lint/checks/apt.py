"""apt rules: package lists fetched in one layer and used or left behind in another."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.packages import PackageCommand
from dlint.parsing.shell import Command

APT = frozenset({"apt-get", "apt", "aptitude"})
USES_LISTS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall", "source"})
LISTS = "/var/lib/apt/lists"
LIST_TARGETS = frozenset({LISTS, LISTS + "/", LISTS + "/*"})
CACHE_MOUNT_TARGETS = frozenset({"/var/lib/apt", "/var/lib/apt/", LISTS, LISTS + "/"})


def apt_updates(ctx: Context, instr: Instruction) -> list[PackageCommand]:
    return [p for p in ctx.package_commands(instr) if p.manager in APT and p.subcommand == "update"]


@rule("DLT001")
def apt_update_alone(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.runs():
        pkgs = ctx.package_commands(instr)
        for i, pc in enumerate(pkgs):
            if pc.manager not in APT or pc.subcommand != "update":
                continue
            if any(p.manager in APT and p.subcommand in USES_LISTS for p in pkgs[i + 1:]):
                continue
            yield ctx.violation(
                "DLT001",
                f"`{pc.manager} update` runs in a RUN that installs nothing after it: its lists are cached "
                "in their own layer and go stale; update and install in the same RUN",
                instr,
                pc.command.start_offset,
                pc.command.end_offset,
            )


def removes_lists(cmd: Command) -> bool:
    """`rm -rf /var/lib/apt/lists/*` in any spelling, or `find /var/lib/apt/lists ... -delete`."""
    words = [w.value for w in cmd.words]
    if cmd.name == "rm":
        flags = [w for w in words[1:] if w.startswith("-")]
        recursive = any(f == "--recursive" or (not f.startswith("--") and ("r" in f or "R" in f)) for f in flags)
        return recursive and any(w in LIST_TARGETS for w in words[1:] if not w.startswith("-"))
    if cmd.name == "find":
        return len(words) > 1 and words[1].rstrip("/") == LISTS and "-delete" in words
    return False


def mounts_apt_cache(instr: Instruction) -> bool:
    for flag in instr.flags_named("mount"):
        opts = flag.options()
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        if opts.get("type") in ("cache", "tmpfs") and target in CACHE_MOUNT_TARGETS:
            return True
    return False


@rule("DL3009")
def apt_lists_not_removed(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in ctx.runs():
        stage = df.stage_of(instr)
        if stage is None or not stage.ships or mounts_apt_cache(instr):
            continue
        updates = apt_updates(ctx, instr)
        if not updates:
            continue
        script = ctx.script(instr)
        last_update = updates[-1].command.start_offset
        if script and any(c.start_offset > last_update and removes_lists(c) for c in script.commands):
            continue
        later = next(
            (
                r
                for r in stage.instructions
                if r.keyword == "RUN" and r.index > instr.index
                and (s := ctx.script(r)) and any(removes_lists(c) for c in s.commands)
            ),
            None,
        )
        message = f"`{updates[-1].manager} update` leaves {LISTS} in this layer; remove it in the same RUN"
        if later is not None:
            message += f" (the removal at line {later.start_line} runs in a later layer, so the bytes stay here)"
        yield ctx.violation("DL3009", message, instr, updates[-1].command.start_offset, updates[-1].command.end_offset)
