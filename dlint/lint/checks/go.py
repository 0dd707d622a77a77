"""Go: modules installed, fetched or run at a fixed version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from dlint.lint.checks.package_rules import installs, unpinned
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

# Version queries that resolve to something new on every build.
MOVING = frozenset({"latest", "upgrade", "patch"})


def pinned(package: str) -> bool:
    """`module@v1.2.3` (or `@commit`), or local code: `./cmd/x`, `/src/...`, `main.go`."""
    if package.startswith((".", "/")) or package.endswith(".go"):
        return True
    path, at, version = package.rpartition("@")
    return bool(at and path) and version not in MOVING


@rule("DL3062")
def go_unpinned(ctx: Context) -> Iterator[Violation]:
    commands = (
        (instr, replace(pc, packages=pc.packages[:1]) if pc.subcommand == "run" else pc)  # the rest are its args
        for instr, pc in installs(ctx, {"go"}, {"install", "get", "run"})
    )
    yield from unpinned(
        ctx, "DL3062", commands, pinned, "write `module@<version>` so a rebuild builds what was tested",
    )
