"""What git ignores, so `dlint check DIR` skips it as `git ls-files --others --cached --exclude-standard` would.

The sources git reads, lowest precedence first: the global excludes file
(`core.excludesFile`, default `$XDG_CONFIG_HOME/git/ignore`), `.git/info/exclude`,
then the `.gitignore` of every directory from the work tree's root down, a deeper
one overriding those above it. Patterns are matched by `pathspec`'s
`GitIgnoreSpec` (git's wildmatch, `!` negation, anchoring, directory-only
patterns), each path against only the lines that can match it (_Indexed).
Only inside a git work tree, as git itself and ruff do; a directory that is
ignored is not entered, so nothing under it can be re-included, as in git.
"""

from __future__ import annotations

import configparser
import functools
import os
import re
from typing import TYPE_CHECKING, NamedTuple

from dlint.lazyre import lazy
from dlint.parsing.source import SourceError, read_bytes

MAX_IGNORE_FILE = 10_000_000  # bytes of an ignore file or .gitconfig: generated ones can be far bigger than a Dockerfile

if TYPE_CHECKING:
    import pathspec


def _spec(path: str) -> _Indexed | None:
    try:  # read_bytes reads a regular file only: a FIFO would hang the walk
        text = read_bytes(path, MAX_IGNORE_FILE, "ignore file").decode("utf-8", "surrogateescape")
    except SourceError:  # missing, unreadable or not a file (git reads nothing from it either), or over MAX_IGNORE_FILE
        return None
    # git's lines end at \n, a CR before it dropped (dir.c): splitlines also ended one at \f, a lone CR or U+2028
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    import pathspec  # ~40 ms: only once there is an ignore file to read

    spec = _Indexed(lines, pathspec.GitIgnoreSpec)
    return spec if spec.asks_anything else None  # comments and blank lines only (every `git init`'s info/exclude)


def _compiled(line: str) -> pathspec.Pattern:
    """The line as pathspec's pattern (_pattern), its regex rewritten without backtracking."""
    pattern = _pattern(_pattern_class(), line)
    linear = without_backtracking(pattern.regex.pattern) if pattern.regex is not None else None
    if linear is not None and linear != pattern.regex.pattern:
        pattern.regex = re.compile(linear)
    return pattern


# Lines whose matches a lookup finds (no wildcard, escape or space; git strips trailing spaces):
_SEGMENT = r"(?!\.*/|\.*$)[A-Za-z0-9._+@%=,~-]+"  # not `.` or `..` alone
_NAME_LINE = lazy(rf"!?({_SEGMENT})/?")  # `build/`, `!.env`: any path with a segment of that name
_SUFFIX_LINE = lazy(rf"!?\*({_SEGMENT})/?")  # `*.log`: any path with a segment that ends so
_PATH_LINE = lazy(rf"!?/?({_SEGMENT}(?:/{_SEGMENT})*)/?")  # `/dist`, `a/b/`: anchored, that path or under it
_MAX_PATH_SEGMENTS = 8  # an anchored literal longer is matched as any other line: prefixes are looked up to this
_MAX_SUBSPECS = 1024


class _Indexed:
    """One ignore file's patterns, with the literal ones (most of a generated file's) indexed by the name, suffix
    or leading path a matching path must hold: a path is matched against the lines that can match it, in their
    order, by a spec of just those, so git's rules (last match wins, `!`, directory-only) stay pathspec's, and a
    file of 40,000 names costs lookups, not 40,000 regexes per path. A literal line is compiled only once a path
    may match it: compiling them all was most of the time a large file took."""

    def __init__(self, lines: list[str], make: type[pathspec.GitIgnoreSpec]) -> None:
        self._lines, self._make = lines, make
        self._patterns: dict[int, pathspec.Pattern] = {}  # compiled when first needed: most lines never are
        self._names: dict[str, list[int]] = {}
        self._suffixes: dict[str, list[int]] = {}
        self._paths: dict[str, list[int]] = {}
        self._rest: list[int] = []  # the lines every path is matched against
        for i, line in enumerate(lines):
            if m := _NAME_LINE.fullmatch(line):
                self._names.setdefault(m[1], []).append(i)
            elif m := _SUFFIX_LINE.fullmatch(line):
                self._suffixes.setdefault(m[1], []).append(i)
            elif (m := _PATH_LINE.fullmatch(line)) and m[1].count("/") < _MAX_PATH_SEGMENTS:
                self._paths.setdefault(m[1], []).append(i)
            elif (pattern := _compiled(line)).include is not None:  # not a comment, blank, or a line matching nothing
                self._patterns[i] = pattern
                self._rest.append(i)
        self.asks_anything = bool(self._names or self._suffixes or self._paths or self._rest)
        self._suffix_lengths = sorted({len(k) for k in self._suffixes})
        self._path_segments = max((k.count("/") + 1 for k in self._paths), default=0)
        self._specs: dict[tuple[int, ...], pathspec.GitIgnoreSpec] = {}

    def _pattern_of(self, i: int) -> pathspec.Pattern:
        if i not in self._patterns:
            self._patterns[i] = _compiled(self._lines[i])
        return self._patterns[i]

    def include(self, path: str) -> bool | None:
        """pathspec's verdict on `path` (a directory's with a trailing `/`): True ignored, False re-included,
        None when no line matches."""
        hits = self._candidates(path)
        spec = self._specs.get(hits)
        if spec is None:
            if len(self._specs) >= _MAX_SUBSPECS:
                self._specs.clear()
            chosen = sorted(self._rest + list(hits)) if hits else self._rest
            spec = self._specs[hits] = self._make([self._pattern_of(i) for i in chosen])
        return spec.check_file(path).include

    def _candidates(self, path: str) -> tuple[int, ...]:
        """The indexed lines that may match `path`: a segment named so or ending so, or a leading path."""
        segments = [s for s in path.split("/") if s]
        found: set[int] = set()
        for segment in segments:
            found.update(self._names.get(segment, ()))
            for n in self._suffix_lengths:
                if n > len(segment):
                    break
                found.update(self._suffixes.get(segment[-n:], ()))
        for k in range(1, min(self._path_segments, len(segments)) + 1):
            found.update(self._paths.get("/".join(segments[:k]), ()))
        return tuple(sorted(found))


MAX_PATTERN = 4096  # characters: PATH_MAX, the longest path there is to match


@functools.cache
def _pattern_class() -> type[pathspec.Pattern]:
    """The class GitIgnoreSpec makes of a line (it differs between pathspec versions): asked once."""
    import pathspec

    return type(pathspec.GitIgnoreSpec.from_lines(["x"]).patterns[0])


def _pattern(kind: type[pathspec.Pattern], line: str) -> pathspec.Pattern:
    """One line as `kind`; one that matches nothing for a line pathspec refuses (`!` or `\\` alone,
    which git ignores; a reversed range such as `[z-a]`, which git's wildmatch never matches) or one
    longer than any path, which pathspec translates in time quadratic in its length (12 s for 800 KB)."""
    if len(line) > MAX_PATTERN:
        return kind("")
    try:
        return kind(line)
    except (ValueError, re.error):
        return kind("")


_STAR = "[^/]*"  # what pathspec makes of `*`
# A fragment between two stars that matches a fixed number of characters, none of them a `/`:
# literals, escapes, `[^/]` (pathspec's `?`) and classes that cannot hold a `/`. Then its nearest
# match after a star is as good as any. `[^a]` can be a `/`, and is left as it is.
_FIXED = lazy(r"(?:\\[^/]|\[\^/\]|\[(?!\^)(?:\\[^/]|[^\]\\/])+\]|[^.*+?(){}|^$\\\[\]/])+")
_ANY_DIRS = "(?:/.+)?"  # what pathspec makes of `/**/` between two segments
_LEADING_DIRS = "^(?:.+/)?"  # and of a leading `**/`
# Whole segments between two `**`: what _FIXED allows, stars and `/` (not last). From a given start
# they match at most one end: nothing but `/` itself matches a `/`, and a `/` must follow.
_SEGMENTS = lazy(r"(?:\\[^/]|\[\^/\](?:\*)?|\[(?!\^)(?:\\[^/]|[^\]\\/])+\]|[^.*+?(){}|^$\\\[\]])+")


def without_backtracking(regex: str) -> str:
    """pathspec's regex with `**` and `*` that another of its kind follows made atomic and lazy, as
    CPython's fnmatch does for stars: the nearest match of the fragment after one is as good as any
    (the next `**` or `*` can take what a later match would skip), so nothing need be retried. As
    pathspec makes them, `*a*a*a*a*a*a*a*b` took time n**8 on a name of n characters (18 s for 7
    stars and 60), and `a/**/a/**/.../b` grew six-fold with each `**` on a deep path."""
    return _stars_without_backtracking(_dirs_without_backtracking(regex))


def _dirs_without_backtracking(regex: str) -> str:
    """Each `(?:/.+)?` (or leading `(?:.+/)?`) that another `(?:/.+)?` follows, with whole segments
    between them, becomes the nearest such segments followed by a `/`, atomically."""
    parts = regex.split(_ANY_DIRS)
    if len(parts) < 2:
        return regex
    out = [parts[0]]
    if parts[0].startswith(_LEADING_DIRS) and _whole_segments(parts[0][len(_LEADING_DIRS):]):
        out = [f"^(?>(?:.+?/)??{parts[0][len(_LEADING_DIRS):]}(?=/))"]
    for fragment in parts[1:-1]:
        out.append(f"(?>(?:/.+?)??{fragment}(?=/))" if _whole_segments(fragment) else _ANY_DIRS + fragment)
    out.append(_ANY_DIRS + parts[-1])
    return "".join(out)


def _whole_segments(fragment: str) -> bool:
    return _SEGMENTS.fullmatch(fragment) is not None and not fragment.endswith("/")


def _stars_without_backtracking(regex: str) -> str:
    parts = regex.split(_STAR)
    if len(parts) < 3:  # one star or none: nothing to retry
        return regex
    out = [parts[0]]
    for fragment in parts[1:-1]:
        out.append(f"(?>[^/]*?{fragment})" if _FIXED.fullmatch(fragment) else _STAR + fragment)
    out.append(_STAR + parts[-1])
    return "".join(out)


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
    try:  # through read_bytes, as the ignore files: a FIFO or device there would hang the walk
        config.read_string(read_bytes(os.path.join(home, ".gitconfig"), MAX_IGNORE_FILE, "git config").decode("utf-8"))
        configured = config.get("core", "excludesfile", fallback=None)
    except (SourceError, configparser.Error, UnicodeDecodeError):
        configured = None
    if configured:
        return os.path.expanduser(configured.strip().strip('"'))
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return os.path.join(xdg, "git", "ignore")


class GitIgnores:
    """Answers "does git ignore this path?" for paths under one work tree, reading each `.gitignore` once."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._chains: dict[str, _Level | None] = {}  # directory -> see _chain
        base = [_spec(os.path.join(root, ".git", "info", "exclude")), _spec(_global_excludes())]
        self._base = [s for s in base if s is not None]  # highest precedence first

    @classmethod
    def around(cls, directory: str) -> GitIgnores | None:
        root = _work_tree(os.path.abspath(directory))
        return cls(root) if root else None

    def relative(self, path: str) -> str:
        """`path`, inside the work tree, relative to it and "/"-separated ("" for its top)."""
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        return "" if rel == "." else rel

    def ignored(self, rel_dir: str, name: str, is_dir: bool) -> bool:
        """Whether git ignores `name` in the directory `rel_dir` (as `relative` gives it)."""
        rel = f"{rel_dir}/{name}" if rel_dir else name
        slash = "/" if is_dir else ""
        # The deepest .gitignore that says anything decides; then info/exclude, then the global file.
        level = self._chain(rel_dir)
        while level is not None:
            verdict = level.spec.include(rel[level.start:] + slash)
            if verdict is not None:
                return verdict
            level = level.above
        for spec in self._base:
            verdict = spec.include(rel + slash)
            if verdict is not None:
                return verdict
        return False

    def _chain(self, rel_dir: str) -> _Level | None:
        """The deepest `.gitignore` at or above `rel_dir`, linked to those above it; None when there is none.

        Found once per directory from the nearest one already known (a walk asks for the parent
        first), so a deep tree costs one step and one entry per directory, with no recursion.
        """
        if rel_dir in self._chains:
            return self._chains[rel_dir]
        parts = rel_dir.split("/") if rel_dir else []
        known = len(parts) - 1
        while known >= 0 and "/".join(parts[:known]) not in self._chains:
            known -= 1  # the search began below the top: its ancestors are met once
        level = self._chains["/".join(parts[:known])] if known >= 0 else None
        for depth in range(known + 1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            spec = _spec(os.path.join(self.root, prefix, ".gitignore"))
            if spec is not None:
                level = _Level(len(prefix) + 1 if prefix else 0, spec, level)
            self._chains[prefix] = level
        return level


class _Level(NamedTuple):
    start: int  # where, in a path relative to the work tree, the paths this file's patterns see begin
    spec: _Indexed
    above: _Level | None
