""".dockerignore patterns as Docker reads and matches them: a port of moby/patternmatcher.

pathspec (a dependency) implements gitignore, where `foo` matches at any depth;
Docker's `foo` matches only at the context root, `**` spans directories and a
path is excluded when it or any parent directory matches. So this is a small
faithful port of patternmatcher.go and ignorefile.ReadAll (github.com/moby/patternmatcher),
kept to what BuildKit's CopyIgnoredFile asks: `MatchesOrParentMatches` and `Exclusions`.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from functools import cached_property

MAX_BYTES = 1 << 20  # a larger ignore file is not read: BuildKit's context transfer would be the problem


def read_patterns(text: str) -> list[str]:
    """ignorefile.ReadAll: comments and blank lines dropped, patterns cleaned, a leading `/` removed."""
    out = []
    for line in text.removeprefix("\ufeff").splitlines():
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        out.append("!" + pattern if invert else pattern)
    return out


def clean(path: str) -> str:
    """Go's filepath.Clean on a slash path."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


@dataclass(frozen=True)
class Pattern:
    text: str  # cleaned, without the `!`
    exclusion: bool

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Pattern.compile: `**` spans directories, `*` and `?` stay within one, `\\` escapes."""
        out = ["^"]
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            ch = text[i]
            i += 1
            if ch == "*":
                if i < n and text[i] == "*":
                    i += 1
                    if i < n and text[i] == "/":
                        i += 1
                    out.append(".*" if i >= n else "(.*/)?")
                else:
                    out.append("[^/]*")
            elif ch == "?":
                out.append("[^/]")
            elif ch in ".+()|{}$":
                out.append("\\" + ch)
            elif ch == "\\":
                if i < n:
                    out.append(re.escape(text[i]))
                    i += 1
                else:
                    out.append("\\\\")
            else:
                out.append(ch)
        out.append("$")
        return re.compile("".join(out), re.DOTALL)

    def match(self, path: str) -> bool:
        suffix = self.text[2:]
        if self.text.startswith("**") and not any(ch in suffix for ch in "*?[]\\"):
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])  # suffixMatch
        return self.regex.match(path) is not None


class PatternMatcher:
    def __init__(self, patterns: list[str]) -> None:
        """New: a bare `!` or a pattern Go's filepath.Match refuses makes the file unusable (ValueError)."""
        self.patterns: list[Pattern] = []
        for raw in patterns:
            p = raw.strip()
            if not p:
                continue
            p = clean(p)
            exclusion = p.startswith("!")
            if exclusion:
                if len(p) == 1:
                    raise ValueError('illegal exclusion pattern: "!"')
                p = p[1:]
            pattern = Pattern(p, exclusion)
            try:
                pattern.regex  # noqa: B018 - compiled now so that a bad pattern fails here, as in Go
            except re.error as e:
                raise ValueError(f"bad pattern {p!r}: {e}") from None
            self.patterns.append(pattern)

    @property
    def exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def matches_or_parent_matches(self, path: str) -> bool:
        """Whether `path` (slash-separated, relative to the context) or a parent directory is excluded."""
        parent = posixpath.dirname(path) or "."
        dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit and parent != ".":
                hit = any(pattern.match("/".join(dirs[: i + 1])) for i in range(len(dirs)))
            if hit:
                matched = not pattern.exclusion
        return matched


def load(dockerfile: str) -> PatternMatcher | None:
    """The ignore file BuildKit uses for a build of `dockerfile` with its directory as the context:
    `<Dockerfile>.dockerignore` next to it, else the context's `.dockerignore`; None when there is
    none, it is no regular file or larger than MAX_BYTES, or Docker would refuse it."""
    from dlint.parsing.source import SourceError, read_bytes  # regular files only: a FIFO would hang the lint

    directory = os.path.dirname(dockerfile) or "."
    for candidate in (dockerfile + ".dockerignore", os.path.join(directory, ".dockerignore")):
        if not os.path.lexists(candidate):
            continue
        try:
            data = read_bytes(candidate, MAX_BYTES, ".dockerignore")
        except SourceError:
            return None
        try:
            return PatternMatcher(read_patterns(data.decode("utf-8", "replace")))
        except ValueError:
            return None
    return None
