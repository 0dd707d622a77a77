"""Alpine's apk: pinned packages and no package index left in the layer."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_rules import (
    cache_mounts,
    has_option,
    installs,
    kept_out,
    missing_switch,
    ships,
    under,
    unpinned,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

INDEX_CACHE = "/var/cache/apk"
LINKED_CACHE = "/etc/apk/cache"  # the link apk follows to INDEX_CACHE: a cache mount there keeps the index out too


def pinned(package: str) -> bool:
    """`pkg=1.2-r0`, `pkg~1.2`, `pkg>=1.2` or a local `.apk` file; `pkg@edge` names a repository, not a version."""
    return any(mark in package for mark in "=~<>") or package.endswith(".apk")


@rule("DL3018")
def apk_unpinned(ctx: Context) -> Iterator[Violation]:
    yield from unpinned(
        ctx, "DL3018", installs(ctx, {"apk"}, {"add"}), pinned,
        "write `package=<version>` (or `package~<major.minor>`) so a rebuild installs what was tested",
    )  # fmt: skip


@rule("DL3019")
def apk_without_no_cache(ctx: Context) -> Iterator[Violation]:
    commands = (
        (instr, pc)
        for instr, pc in installs(ctx, {"apk"}, {"add"})
        if ships(ctx, instr) and not kept_out(ctx, instr, pc.command.start_offset, (INDEX_CACHE,))
        and not under(LINKED_CACHE, cache_mounts(instr))
    )
    yield from missing_switch(
        ctx,
        "DL3019",
        commands,
        lambda pc: has_option(pc, "--no-cache"),
        lambda pc: f"`apk add` without `--no-cache` leaves the package index in {INDEX_CACHE} in this layer; "
        "`--no-cache` fetches it fresh and keeps it out, so `--update` and `rm -rf /var/cache/apk/*` are not needed",
        "--no-cache",
    )
