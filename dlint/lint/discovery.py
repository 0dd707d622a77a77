"""Which files `dlint check DIR` lints: Dockerfile-shaped names, found recursively."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable

NAME_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*")
# `Dockerfile.dockerignore` and friends match `Dockerfile.*` but are not Dockerfiles.
NOT_DOCKERFILE_SUFFIXES = (
    ".dockerignore", ".md", ".txt", ".sh", ".py", ".go", ".json", ".yml", ".yaml", ".toml", ".orig", ".rej", ".swp",
)
# Templates render to a Dockerfile but are not one: linting (or fixing) their `{{ ... }}` would be wrong.
# Named on the command line, such a file is still linted.
TEMPLATE_SUFFIXES = (
    ".template", ".tmpl", ".tpl", ".j2", ".jinja", ".jinja2", ".in", ".erb", ".mustache", ".hbs", ".gotmpl",
    ".twig", ".njk", ".liquid", ".ejs", ".ctmpl", ".epp", ".m4", ".tt",
)
# Directories never searched: version control, dependency trees and virtualenvs.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", "__pycache__"})


def is_dockerfile_name(name: str) -> bool:
    return ("ockerfile" in name or "ontainerfile" in name) and _dockerfile_shaped(name)


def _dockerfile_shaped(name: str) -> bool:
    """The test of a name that holds one of the words every pattern holds."""
    lowered = name.lower()  # `Dockerfile.J2` and `Dockerfile.MD` are what their suffixes say
    if lowered.endswith(NOT_DOCKERFILE_SUFFIXES) or lowered.endswith(TEMPLATE_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in NAME_PATTERNS)


def relative(path: str, root: str) -> str:
    """`path` as globs see it: slash-separated from `root`, or whole when outside it (both absolute and resolved)."""
    inside = path == root or path.startswith(os.path.join(root, ""))
    return (os.path.relpath(path, root) if inside else path).replace(os.sep, "/")


def glob_matches(rel: str, patterns: tuple[str, ...]) -> bool:
    """gitignore-style globs on a path from relative(): a pattern with no '/' matches any path component."""
    names, paths = _globs(patterns)
    return paths(rel) is not None or any(map(names, rel.split("/")))


@functools.cache  # one entry per config's list (and per per-file-ignores glob): bounded by the configs read
def _globs(patterns: tuple[str, ...]) -> tuple[Callable[[str], object], Callable[[str], object]]:
    """`patterns` as two regexes compiled once, one for a path component, one for the whole path: fnmatch
    compiles each glob, caching 32,768, so a config of 40,000 compiled every one on every file (100: 5 min)."""
    names, paths = [], []
    for pat in patterns:
        pat = pat.rstrip("/")
        if "/" in pat:
            paths += [_translate(pat.lstrip("/")), _translate(pat.lstrip("/") + "/*")]
        else:
            names.append(_translate(pat))
    name_rx, path_rx = ("|".join(part) or "(?!)" for part in (names, paths))  # (?!): no glob, matches nothing
    return re.compile(name_rx).match, re.compile(path_rx).match


def _translate(pattern: str) -> str:
    """fnmatch.translate; it looks for a `]` from each `[` that has none after it (30,000 of them: 48 s),
    so such a `[`, a literal, is first written as the set `[[]`."""
    i = 0
    while (i := pattern.find("[", i)) != -1:
        end = i + 1 + (pattern[i + 1 : i + 2] == "!")
        end = pattern.find("]", end + (pattern[end : end + 1] == "]"))  # as translate: a leading `]` is in the set
        if end == -1:
            pattern = pattern[:i] + pattern[i:].replace("[", "[[]")
            break
        i = end + 1
    return fnmatch.translate(pattern)


def discover(directory: str, gitignore: bool = True, unreadable: list[tuple[str, str]] | None = None) -> list[str]:
    """The Dockerfiles under `directory`, sorted, less what git ignores (unless `gitignore` is off);
    `exclude` is the caller's, since it depends on the config nearest each file, not on the directory searched.

    A subdirectory that cannot be listed is appended to `unreadable` (its path, why), not skipped unsaid.
    The walk keeps its own stack (os.walk recurses: a tree a thousand directories deep overflowed it)
    and, as os.walk does, does not enter symbolic links to directories. A link to a file outside
    `directory` is no Dockerfile of it: a pull request's `Dockerfile.x -> /etc/passwd` (or a
    credentials file) would have its lines quoted in the findings, in a CI log or review comments."""
    ignores = None
    if gitignore:
        from dlint.lint.gitignore import GitIgnores  # pathspec only when a directory is searched

        ignores = GitIgnores.around(directory)
    top = ignores.relative(directory) if ignores else ""

    def ignored(rel: str, name: str, is_dir: bool) -> bool:
        return ignores is not None and ignores.ignored(rel, name, is_dir)

    found, refused = [], []
    inside = os.path.join(os.path.realpath(directory), "")
    stack = [(directory, top)]  # (path, path relative to the work tree)
    while stack:
        dirpath, rel = stack.pop()
        try:
            with os.scandir(dirpath) as listing:
                entries = list(listing)
        except OSError as exc:
            refused.append((os.path.normpath(dirpath), exc.strerror or str(exc)))
            continue
        prefix = None  # how the paths of this directory's files begin: spelt at its first Dockerfile
        for entry in entries:  # a monorepo has a million: the test of each is inline, not a call
            name = entry.name
            try:
                is_dir = entry.is_dir()  # as os.walk decides: a directory or a link to one
            except OSError:  # an entry that cannot be asked is a file
                is_dir = False
            if is_dir:
                if name not in SKIPPED_DIRS and not entry.is_symlink() and not ignored(rel, name, True):
                    stack.append((os.path.join(dirpath, name), f"{rel}/{name}" if rel else name))
            # Every pattern holds one of these words: a substring test turns away nearly every file at C speed.
            elif ("ockerfile" in name or "ontainerfile" in name) and _dockerfile_shaped(name) \
                    and not ignored(rel, name, False) \
                    and not (entry.is_symlink() and not os.path.realpath(entry.path).startswith(inside)):
                if prefix is None:
                    prefix = _spelt(dirpath)
                found.append(prefix + name)
    if unreadable is not None:
        unreadable.extend(sorted(refused))  # in path order, as the files are: not the file system's
    return sorted(found)


def _spelt(directory: str) -> str:
    """`directory` as the start of its files' paths, spelt as pathlib would (`./x` gives `x/`), without importing it."""
    parts = [p for p in directory.split(os.sep) if p not in ("", ".")]
    lead = os.sep if directory.startswith(os.sep) else ""
    return lead + "".join(part + os.sep for part in parts)
