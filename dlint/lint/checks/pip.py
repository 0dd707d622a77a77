"""pip: pinned packages and no download cache left in the image."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from dlint.lint.checks.package_rules import (
    cache_mounts,
    has_option,
    installs,
    kept_out,
    missing_switch,
    option_values,
    ships,
    unpinned,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.packages import PackageCommand
from dlint.parsing.shell import LOGIN_SU

VERSION_MARKS = ("==", ">=", "<=", "~=", "!=", "<", ">")
ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2")
VCS = ("git+", "hg+", "svn+", "bzr+", "git:")
# pip reads PIP_NO_CACHE_DIR with strtobool and, for backwards compatibility,
# disables the cache for false values too: any valid boolean turns it off.
BOOLEANS = frozenset({"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"})
HOME_CACHES = ("/root/.cache/pip", "~/.cache/pip", "$HOME/.cache/pip", "${HOME}/.cache/pip")


def pinned(package: str) -> bool:
    """A version specifier, a VCS URL with `@ref`, or a local path or archive (pinned by what it contains)."""
    if any(mark in package for mark in VERSION_MARKS):
        return True
    if package.startswith(VCS):
        return "@" in package.split("://", 1)[-1]
    return "/" in package or package.startswith(".") or package.endswith(ARCHIVES)


def without_local_editables(pc: PackageCommand) -> PackageCommand:
    """`-e DIR` installs a directory of the build context: pinned by what it holds."""
    local = {o.value.start_offset for o in pc.options
             if o.name in ("-e", "--editable") and o.value and not o.value.value.startswith(VCS)}  # fmt: skip
    return replace(pc, packages=tuple(w for w in pc.packages if w.start_offset not in local))


@rule("DL3013")
def pip_unpinned(ctx: Context) -> Iterator[Violation]:
    commands = (
        (instr, without_local_editables(pc))
        for instr, pc in installs(ctx, {"pip"}, {"install"})
        if not has_option(pc, "-c", "--constraint")  # a constraints file holds the pins
    )
    yield from unpinned(
        ctx, "DL3013", commands, pinned,
        "write `package==<version>` or install from a requirements or constraints file",
    )  # fmt: skip


def env(ctx: Context, instr: Instruction, pc: PackageCommand, name: str) -> str | None:
    """`name` as the pip command sees it: given on the command (`VAR=x pip ...`), else from ENV/ARG, which a
    login `su -` shell does not see (it starts with a clean environment)."""
    prefix = name + "="
    for word in pc.command.assignments:
        if word.value.startswith(prefix):
            return word.value[len(prefix):]
    return None if LOGIN_SU in pc.command.wrappers else ctx.env_value(instr, name)


def env_disables_cache(ctx: Context, instr: Instruction, pc: PackageCommand) -> bool:
    value = env(ctx, instr, pc, "PIP_NO_CACHE_DIR")
    return value is not None and value.lower() in BOOLEANS


def cache_outside_layer(ctx: Context, instr: Instruction, pc: PackageCommand) -> bool:
    """The cache lands on a cache/tmpfs mount, or is removed or purged later in the same RUN."""
    chosen = option_values(pc, "--cache-dir") + [v for v in [env(ctx, instr, pc, "PIP_CACHE_DIR")] if v]
    start = pc.command.start_offset
    if any(t.endswith(("/.cache", "/.cache/pip")) for t in cache_mounts(instr)):  # any user's home
        return True
    if kept_out(ctx, instr, start, (*HOME_CACHES, *chosen)):
        return True
    return _last_purge(ctx, instr) > start


def _last_purge(ctx: Context, instr: Instruction) -> int:
    """Offset of the RUN's last `pip cache purge` (-1: none), found once per RUN, not once per install."""
    key = (_last_purge, *ctx.key(instr))
    if key not in ctx.memo:
        ctx.memo[key] = max((p.command.start_offset for p in ctx.package_commands(instr)
                             if p.manager == "pip" and p.subcommand == "cache"
                             and any(w.value == "purge" for w in p.packages)), default=-1)  # fmt: skip
    return ctx.memo[key]


@rule("DL3042")
def pip_cache_kept(ctx: Context) -> Iterator[Violation]:
    commands = (
        (instr, pc)
        for instr, pc in installs(ctx, {"pip"}, {"install"})
        if ships(ctx, instr) and not env_disables_cache(ctx, instr, pc) and not cache_outside_layer(ctx, instr, pc)
    )
    yield from missing_switch(
        ctx,
        "DL3042",
        commands,
        lambda pc: has_option(pc, "--no-cache-dir"),
        lambda pc: "`pip install` keeps every downloaded wheel in ~/.cache/pip, in this layer; add `--no-cache-dir` "
        "(or set `ENV PIP_NO_CACHE_DIR=1`, or mount a cache there)",
        "--no-cache-dir",
        takes_option=lambda pc: not _cache_dir_after_subcommand(pc),
    )


def _cache_dir_after_subcommand(pc: PackageCommand) -> bool:
    """A `--cache-dir DIR` after the subcommand: pip reads options in order, so there it would undo a
    `--no-cache-dir` written right after the subcommand, and the cache would still be written."""
    word = pc.subcommand_word
    return word is not None and any(o.name == "--cache-dir" and o.value is not None
                                    and o.value.start_offset > word.end_offset for o in pc.options)
