"""What git ignores, so `dlint check DIR` skips it as `git ls-files --others --cached --exclude-standard` would.

The sources git reads, lowest precedence first: the global excludes file
(`core.excludesFile`, default `$XDG_CONFIG_HOME/git/ignore`), `.git/info/exclude`,
then the `.gitignore` of every directory from the work tree's root down, a deeper
one overriding those above it. Patterns are matched by `pathspec`'s
`GitIgnoreSpec` (git's wildmatch, `!` negation, anchoring, directory-only
patterns). Only inside a git work tree, as git itself and ruff do; a directory
that is ignored is not entered, so nothing under it can be re-included, as in git.
"""

from __future__ import annotations

import configparser
import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


def _spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:  # non-blocking: a FIFO named .gitignore must not hang the walk
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), encoding="utf-8", errors="surrogateescape") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            lines = f.read().splitlines()
    except OSError:  # missing, unreadable or not a file: git reads nothing from it either
        return None
    if not lines:
        return None
    import pathspec  # ~40 ms: only once there is an ignore file to read

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _work_tree(directory: str) -> str | None:
    """The nearest directory at or above `directory` that holds `.git` (a directory, or a worktree's file)."""
    current = directory
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _global_excludes() -> str:
    home = os.path.expanduser("~")
    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read([os.path.join(home, ".gitconfig")], encoding="utf-8")
        configured = config.get("core", "excludesfile", fallback=None)
    except (configparser.Error, UnicodeDecodeError):
        configured = None
    if configured:
        return os.path.expanduser(configured.strip().strip('"'))
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return os.path.join(xdg, "git", "ignore")


class GitIgnores:
    """Answers "does git ignore this path?" for paths under one work tree, reading each `.gitignore` once."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._chains: dict[str, list[tuple[int, pathspec.GitIgnoreSpec]]] = {}  # directory -> see _chain
        base = [_spec(os.path.join(root, ".git", "info", "exclude")), _spec(_global_excludes())]
        self._base = [s for s in base if s is not None]  # highest precedence first

    @classmethod
    def around(cls, directory: str) -> GitIgnores | None:
        root = _work_tree(os.path.abspath(directory))
        return cls(root) if root else None

    def relative(self, path: str) -> str | None:
        """`path` relative to the work tree, "/"-separated ("" for its top); None outside it."""
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        if rel == ".." or rel.startswith("../"):
            return None
        return "" if rel == "." else rel

    def ignored(self, rel_dir: str, name: str, is_dir: bool) -> bool:
        """Whether git ignores `name` in the directory `rel_dir` (as `relative` gives it)."""
        rel = f"{rel_dir}/{name}" if rel_dir else name
        slash = "/" if is_dir else ""
        # The deepest .gitignore that says anything decides; then info/exclude, then the global file.
        for start, spec in self._chain(rel_dir):
            verdict = spec.check_file(rel[start:] + slash).include
            if verdict is not None:
                return verdict
        for spec in self._base:
            verdict = spec.check_file(rel + slash).include
            if verdict is not None:
                return verdict
        return False

    def _chain(self, rel_dir: str) -> list[tuple[int, pathspec.GitIgnoreSpec]]:
        """The `.gitignore` files from `rel_dir` up to the top, deepest first, each with where its paths start.

        Built once per directory from its parent's chain (a walk asks for the parent first), so a
        deep tree costs one step per directory, with no recursion.
        """
        chain = self._chains.get(rel_dir)
        if chain is None:
            parts = rel_dir.split("/") if rel_dir else []
            chain = []
            for depth in range(len(parts), -1, -1):
                prefix = "/".join(parts[:depth])
                if prefix in self._chains:
                    chain.extend(self._chains[prefix])
                    break
                spec = self._level(prefix)
                if spec is not None:
                    chain.append((len(prefix) + 1 if prefix else 0, spec))
            self._chains[rel_dir] = chain
        return chain

    def _level(self, rel_dir: str) -> pathspec.GitIgnoreSpec | None:
        return _spec(os.path.join(self.root, rel_dir, ".gitignore"))
