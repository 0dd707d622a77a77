"""What a RUN's `rm` and `find -delete` commands remove, indexed once per RUN.

Rules ask "is this removed later in the RUN?" for every install or download in it;
scanning the commands after each one was quadratic in a RUN of thousands of commands.
Each question here costs time linear in the name asked about.
"""

from __future__ import annotations

from collections.abc import Collection

from dlint.lint.checks.copy_add import basename
from dlint.lint.context import Context
from dlint.model import Instruction
from dlint.parsing.shell import Command


def recursive_targets(cmd: Command) -> list[str]:
    """The paths an `rm -r` names, without a trailing `*` or `/` (`dir/*` clears dir); [] for any other command."""
    if cmd.name != "rm":
        return []
    words = [w.value for w in cmd.args]
    flags = [w for w in words if w.startswith("-") and w != "-"]
    if not any(f == "--recursive" or (not f.startswith("--") and ("r" in f or "R" in f)) for f in flags):
        return []
    return [t for t in (w.removesuffix("*").rstrip("/") for w in words if not w.startswith("-")) if t]


def find_deleted(cmd: Command) -> str | None:
    """The directory a `find DIR ... -delete` starts at (its tests may pick anything below it)."""
    words = [w.value for w in cmd.args]
    return words[0].rstrip("/") if cmd.name == "find" and words and "-delete" in words else None


def _self_and_parents(path: str) -> list[str]:
    """`path` and each directory above it, as written (`/a/b/c`: `/a/b/c`, `/a/b`, `/a`)."""
    out = [path]
    slash = path.find("/", 1)
    while slash > 0:
        out.append(path[:slash])
        slash = path.find("/", slash + 1)
    return out


class Removals:
    """The `rm` and `find -delete` commands of one script, by what they name: for each name, the last
    command (its index and its offset) that removes it."""

    def __init__(self, commands: list[Command]) -> None:
        self.any_file = -1  # the last rm of a wildcard or an unknown (non-literal) word
        self.values: dict[str, int] = {}  # word -> the last rm naming it
        self.basenames: dict[str, int] = {}
        self.directories: dict[str, int] = {}  # word without trailing `/` -> the last rm naming it
        self.trees: dict[str, int] = {}  # rm -r target -> offset of the last one
        self.finds: dict[str, int] = {}  # find -delete directory -> offset of the last one
        for i, cmd in enumerate(commands):
            found = find_deleted(cmd)
            if found is not None:
                self.finds[found] = cmd.start_offset
            if cmd.name != "rm":
                continue
            for target in recursive_targets(cmd):
                self.trees[target] = cmd.start_offset
            for w in cmd.args:
                v = w.value
                if v.startswith("-") or not v:
                    continue
                if not w.literal or "*" in v:
                    self.any_file = i
                self.values[v] = i
                self.basenames[basename(v)] = i
                self.directories[v.rstrip("/")] = i

    def file_after(self, i: int, name: str) -> bool:
        """Whether an rm after command i removes `name` (itself, its base name, or a directory above it)."""
        if max(self.any_file, self.values.get(name, -1), self.basenames.get(basename(name), -1)) > i:
            return True
        slash = name.find("/")
        while slash >= 0:
            if self.directories.get(name[:slash], -1) > i:
                return True
            slash = name.find("/", slash + 1)
        return False

    def tree_after(self, offset: int, dirs: Collection[str]) -> bool:
        """Whether a command starting after `offset` removes one of `dirs`: `rm -r` of it, its contents or a
        directory above it, or `find -delete` at it."""
        for d in dirs:
            if self.finds.get(d.rstrip("/"), -1) > offset:
                return True
            if any(self.trees.get(p, -1) > offset for p in _self_and_parents(d)):
                return True
        return False


def removals(ctx: Context, instr: Instruction) -> Removals | None:
    """The RUN's removals, indexed once per file and RUN; None when its script cannot be read."""
    key = (Removals, *ctx.key(instr))
    if key not in ctx.memo:
        script = ctx.script(instr)
        ctx.memo[key] = Removals(script.commands) if script is not None else None
    return ctx.memo[key]
