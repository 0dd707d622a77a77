"""RubyGems: pinned gems."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_rules import has_option, installs, unpinned
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule


def pinned(gem: str) -> bool:
    """`name:1.2` or a local `.gem` file."""
    return ":" in gem or gem.endswith(".gem")


@rule("DL3028")
def gem_unpinned(ctx: Context) -> Iterator[Violation]:
    commands = (
        (instr, pc)
        for instr, pc in installs(ctx, {"gem"}, {"install", "i"})
        if not has_option(pc, "-v", "--version")  # one version for every gem named
    )
    yield from unpinned(
        ctx, "DL3028", commands, pinned, "write `gem install name:<version>` (or `-v <version>`) so a rebuild "
        "installs what was tested",
    )
