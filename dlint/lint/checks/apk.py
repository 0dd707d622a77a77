"""Alpine's apk: pinned packages and no package index left in the layer."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_rules import (
    cache_mounts,
    command_head,
    has_option,
    insert_option,
    installs,
    removes,
    ships,
    under,
    unpinned,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

CACHE_DIRS = ("/var/cache/apk", "/etc/apk/cache")


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
    for instr, pc in installs(ctx, {"apk"}, {"add"}):
        if has_option(pc, "--no-cache") or not ships(ctx, instr) or under(CACHE_DIRS[0], cache_mounts(instr)):
            continue
        script = ctx.script(instr)
        if script and any(c.start_offset > pc.command.start_offset and removes(c, CACHE_DIRS[:1])
                          for c in script.commands):  # fmt: skip
            continue
        start, end = command_head(pc)
        yield ctx.violation(
            "DL3019",
            "`apk add` without `--no-cache` leaves the package index in /var/cache/apk in this layer; "
            "`--no-cache` fetches it fresh and keeps it out, so `--update` and `rm -rf /var/cache/apk/*` "
            "are not needed",
            instr,
            start,
            end,
            insert_option(instr, pc, "--no-cache"),
        )
