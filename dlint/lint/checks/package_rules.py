"""The three shapes most package-manager rules take: a pin, a required switch, a clean-up.

The rules differ only in which manager and subcommand they look at and what
counts as pinned, answered or cleaned, so each family module states those
facts and these functions do the walking, the exemptions and the wording.
What keeps a cache out of a layer (a mount, a removal) is decided here too,
so apt's list rule and the cache rules cannot disagree about it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.removals import find_deleted, recursive_targets, removals
from dlint.lint.context import Context
from dlint.lint.edits import insert_after
from dlint.lint.finding import Fix, Violation
from dlint.model import Dockerfile, Instruction
from dlint.parsing.packages import PackageCommand
from dlint.parsing.shell import Command, Word

# What the shell substitutes: `$X`, `${X...}`, `$(...)`, `` `...` ``, `$((...))`.
_EXPANSION = lazy(r"\$\{[^}]*\}|\$\(\(.*?\)\)|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]|`[^`]*`")


def opaque(word: Word) -> bool:
    """A word made of expansions only (`$PACKAGES`, `$(cat list)`): what it names is unknown."""
    return not word.literal and not _EXPANSION.sub("", word.value).strip(" \"'")


def installs(
    ctx: Context, managers: Collection[str], subcommands: Collection[str]
) -> Iterator[tuple[Instruction, PackageCommand]]:
    """Every `manager subcommand` command of every RUN, in file order."""
    for instr, pc in ctx.all_package_commands():
        if pc.manager in managers and pc.subcommand in subcommands:
            yield instr, pc


def has_option(pc: PackageCommand, *names: str) -> bool:
    return any(o.name in names for o in pc.options)


def option_values(pc: PackageCommand, *names: str) -> list[str]:
    return [o.value.value for o in pc.options if o.name in names and o.value is not None]


def quote_list(names: list[str], limit: int = 3) -> str:
    """`a`, `b` and 4 more."""
    shown = [f"`{n}`" for n in names[:limit]]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def unpinned(
    ctx: Context,
    code: str,
    commands: Iterable[tuple[Instruction, PackageCommand]],
    pinned: Callable[[str], bool],
    advice: str,
) -> Iterator[Violation]:
    """One violation per command naming its unpinned written packages, placed on the first of them,
    and one per `$NAME` use whose known value names unpinned packages, placed on that use.

    Words that are only a variable dlint cannot read are skipped: `$PACKAGES` may well hold pins.
    """
    for instr, pc in commands:
        loose = [w for w in pc.package_words() if not opaque(w) and not pinned(w.value)]
        uses: dict[tuple[int, int], list[Word]] = {}
        for word in loose:
            uses.setdefault((word.start_offset, word.end_offset) if word.via else (-1, -1), []).append(word)
        for _span, words in sorted(uses.items()):
            names = list(dict.fromkeys(w.value for w in words))  # a repeat is DLT003's business
            via = words[0].via
            said = f"`{via}` holds {quote_list(names)}," if via else f"{quote_list(names)} {'is' if len(names) == 1 else 'are'}"
            yield ctx.violation(
                code,
                f"{said} not pinned to a version: {advice}",
                instr,
                words[0].start_offset,
                words[0].end_offset,
            )


def command_head(pc: PackageCommand) -> tuple[int, int]:
    """From the program word to the subcommand: where a switch-missing finding points."""
    words = pc.command.words
    end = pc.subcommand_word.end_offset if pc.subcommand_word else words[0].end_offset
    return words[0].start_offset, end


def insert_option(df: Dockerfile, instr: Instruction, pc: PackageCommand, option: str, safe: bool = True) -> Fix | None:
    """` option` written right after the subcommand; none for exec form, where it would join the word, nor
    where it might fall outside an `sh -c` string's quotes (edits.insert_after)."""
    word = pc.subcommand_word
    if instr.is_exec_form or word is None:
        return None
    edit = insert_after(df, pc.command, word, f" {option}")
    return Fix((edit,), safe=safe) if edit else None


def missing_switch(
    ctx: Context,
    code: str,
    commands: Iterable[tuple[Instruction, PackageCommand]],
    present: Callable[[PackageCommand], bool],
    message: Callable[[PackageCommand], str],
    option: str,
    safe: bool = True,
    takes_option: Callable[[PackageCommand], bool] | None = None,
) -> Iterator[Violation]:
    """A violation (with a fix adding `option`, where the command `takes_option`) for each command where
    `present` is false."""
    for instr, pc in commands:
        if present(pc):
            continue
        start, end = command_head(pc)
        takes = takes_option is None or takes_option(pc)
        fix = insert_option(ctx.dockerfile, instr, pc, option, safe) if takes else None
        yield ctx.violation(code, message(pc), instr, start, end, fix)


def unanswered_prompt(
    ctx: Context,
    code: str,
    commands: Iterable[tuple[Instruction, PackageCommand]],
    answered: Callable[[PackageCommand], bool],
    alternative: str = "",
    takes_yes: Callable[[PackageCommand], bool] | None = None,
) -> Iterator[Violation]:
    """Commands that would wait at a confirmation prompt; the fix adds `-y` where the command `takes_yes`
    (every manager here takes it, not every subcommand)."""
    yield from missing_switch(
        ctx,
        code,
        commands,
        answered,
        lambda pc: f"`{pc.manager} {pc.subcommand}` without `-y`{alternative} stops at its confirmation prompt, "
        "and a build has no one to answer it",
        "-y",
        takes_option=takes_yes,
    )


def cache_mounts(instr: Instruction) -> list[str]:
    """Targets of the RUN's cache and tmpfs mounts: what is written there stays out of the layer."""
    return mount_targets(instr, ("cache", "tmpfs"))


def mount_targets(instr: Instruction, types: Collection[str] | None = None) -> list[str]:
    """Targets of the RUN's mounts of `types` (default: all, binds and secrets too), without a trailing `/`."""
    targets = []
    for flag in instr.flags_named("mount"):
        opts = flag.options()
        target = mount_target(opts)
        if target and (types is None or opts.get("type") in types):
            targets.append(target.rstrip("/") or "/")
    return targets


def mount_target(options: dict[str, str]) -> str | None:
    """Where a `--mount` (its options) mounts: `target=`, or its aliases `dst=` and `destination=`."""
    return options.get("target") or options.get("dst") or options.get("destination")


def under(path: str, dirs: Iterable[str]) -> bool:
    """`path` is one of `dirs` or inside one of them."""
    path = path.rstrip("/")
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def removes(cmd: Command, dirs: Collection[str]) -> bool:
    """`rm -r` of one of `dirs`, its contents (`dir/*`) or a parent of it, or `find DIR ... -delete` of one.

    A `find` counts only at one of `dirs` itself: below a parent, its tests may pick anything.
    """
    found = find_deleted(cmd)
    if found is not None:
        return found in {d.rstrip("/") for d in dirs}
    return any(d == t or d.startswith(t + "/") for t in recursive_targets(cmd) for d in dirs)


def ships(ctx: Context, instr: Instruction) -> bool:
    """Its layer reaches a shipped image: its stage ships, or it is an ONBUILD trigger, which
    runs in the images built FROM this one."""
    if ctx.is_trigger(instr):
        return True
    stage = ctx.dockerfile.stage_of(instr)
    return stage is not None and stage.ships


def kept_out(ctx: Context, instr: Instruction, after: int, dirs: Collection[str]) -> bool:
    """What lands in `dirs` never reaches the layer: a cache or tmpfs mount covers one of them,
    or the RUN removes one after offset `after`."""
    mounts = cache_mounts(instr)
    if any(under(d, mounts) for d in dirs):
        return True
    removed = removals(ctx, instr)
    return removed is not None and removed.tree_after(after, dirs)


def missing_cleanup(
    ctx: Context,
    code: str,
    is_install: Callable[[PackageCommand], bool],
    cleans: Callable[[PackageCommand], bool],
    cache_dirs: Collection[str],
    message: Callable[[PackageCommand], str],
) -> Iterator[Violation]:
    """A RUN whose last install is not followed, in the same RUN, by a clean-up or a removal of the cache.

    Exempt: a cache or tmpfs mount over the cache (nothing reaches the layer),
    build-only stages (only inputs of later stages: their layers are not shipped), and
    scripts the shell parser could not read to the end (the clean-up may be in
    the part it lost).
    """
    for instr in ctx.runs():
        pcs = ctx.package_commands(instr)
        found = [pc for pc in pcs if is_install(pc)]
        script = ctx.script(instr)
        if not found or not ships(ctx, instr) or script is None or script.errors:
            continue
        last = found[-1].command.start_offset
        if any(pc.command.start_offset > last and cleans(pc) for pc in pcs) or kept_out(ctx, instr, last, cache_dirs):
            continue
        cmd = found[-1].command
        yield ctx.violation(code, message(found[-1]), instr, cmd.start_offset, cmd.end_offset)
