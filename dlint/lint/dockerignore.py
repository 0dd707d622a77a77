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

from dlint.parsing.arguments import GO_SPACE  # what Go's strings.TrimSpace trims, as BuildKit reads the file

MAX_BYTES = 1 << 20  # a larger ignore file is not read: BuildKit's context transfer would be the problem


def read_patterns(text: str) -> list[str]:
    """ignorefile.ReadAll: comments and blank lines dropped, patterns cleaned, a leading `/` removed.
    Lines end at `\n` only (bufio.ScanLines), not at a form feed, lone CR or U+2028 as splitlines would:
    `a\fb` is one pattern to BuildKit."""
    out = []
    for line in text.removeprefix("\ufeff").split("\n"):
        if line.startswith("#"):
            continue
        pattern = line.strip(GO_SPACE)
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip(GO_SPACE)
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


def _translate(text: str) -> str:
    """Pattern.compile's regex body (no anchors): `**` spans directories, `*` and `?` stay within one,
    `\\` escapes, and `[`...`]` is left for the regex parser, as in Go. Only read by `_tokens`, never
    run as a regex: a backtracking engine takes exponential time on `*a*a*a*a*b` against `aaaa…`."""
    out = []
    i, n = 0, len(text)
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
    return "".join(out)


# Token kinds, one NFA state each: LIT consumes its one character; CHAR consumes one character its
# predicate accepts, RUN any number of them; SKIP then DIRS is `(.*/)?`: nothing, or anything up to
# and including a `/`; START is a `^` left in the pattern, true only at the path's start.
LIT, CHAR, RUN, SKIP, DIRS, START = range(6)
_NOT_SLASH = "/".__ne__


def _anything(ch: str) -> bool:
    return True


def _class_end(rx: str, at: int) -> int:
    """Where the regex parser ends the `[` set at `at`: the first unescaped `]` that is not the
    set's first item, so `[*]`, read as `[[^/]*]`, is the set `[[^/]` repeated and then a `]`."""
    j = at + 1 + (rx.startswith("^", at + 1))
    first = True
    while j < len(rx):
        if rx[j] == "]" and not first:
            return j + 1
        j += 2 if rx[j] == "\\" else 1
        first = False
        if rx.startswith("-", j):  # a range; `a-]` ends the set
            j += 1
            if rx.startswith("]", j):
                return j + 1
            j += 2 if rx.startswith("\\", j) else 1
    return -1


def _tokens(rx: str) -> tuple[tuple[int, object], ...]:
    """The translated regex as NFA states; re.error, with the position in `^rx$`, as re.compile gives it."""
    out: list[tuple[int, object]] = []
    i = 0
    while i < len(rx):
        ch = rx[i]
        if ch == "\\":  # every `\` the translation writes starts a two-character literal
            out.append((LIT, rx[i + 1]))
            i += 2
        elif rx.startswith("(.*/)?", i):
            out += [(SKIP, None), (DIRS, None)]
            i += 6
        elif rx.startswith(".*", i):
            out.append((RUN, _anything))
            i += 2
        elif ch == "^":
            out.append((START, None))
            i += 1
        elif ch == "[":
            end = _class_end(rx, i)
            body = rx[i:end] if end > 0 else rx[i:] + "$"  # unclosed, it takes in the `$`, and fails
            try:
                pred = _NOT_SLASH if body == "[^/]" else re.compile(body).fullmatch
            except re.error as e:
                raise re.error(e.msg, "^" + rx + "$", (e.pos or 0) + i + 1) from None
            i = end
            if rx.startswith("*", i):
                out.append((RUN, pred))
                i += 1
            else:
                out.append((CHAR, pred))
        else:
            out.append((LIT, ch))
            i += 1
    return tuple(out)


def _run(tokens: tuple[tuple[int, object], ...], path: str) -> bool:
    """Whether `path` matches `^tokens$`, stepping the set of live states one char at a time
    (Thompson's simulation): O(len(tokens) * len(path)), with no backtracking. As Python's `$`,
    the end also matches just before a final newline."""
    final = len(tokens)

    def closure(states: set[int], pos: int) -> set[int]:
        todo = list(states)
        while todo:
            i = todo.pop()
            if i == final:
                continue
            kind = tokens[i][0]
            nxt = (i + 1,) if kind == RUN or (kind == START and pos == 0) else (i + 1, i + 2) if kind == SKIP else ()
            for j in nxt:
                if j not in states:
                    states.add(j)
                    todo.append(j)
        return states

    states = closure({0}, 0)
    last = len(path) - 1
    for pos, ch in enumerate(path):
        if pos == last and ch == "\n" and final in states:
            return True
        step = set()
        for i in states:
            if i == final:
                continue
            kind, pred = tokens[i]
            if kind == DIRS:
                step.add(i)
                if ch == "/":
                    step.add(i + 1)
            elif kind == LIT:
                if pred == ch:
                    step.add(i + 1)
            elif kind in (CHAR, RUN) and pred(ch):  # type: ignore[operator]
                step.add(i + 1 if kind == CHAR else i)
        if not step:
            return False
        states = closure(step, pos + 1)
    return final in states


@dataclass(frozen=True)
class Pattern:
    """One .dockerignore line, compiled as BuildKit's patternmatcher does."""

    text: str  # cleaned, without the `!`
    exclusion: bool

    @cached_property
    def tokens(self) -> tuple[tuple[int, object], ...]:
        """The pattern as NFA states; raises re.error where Go's regexp.Compile would refuse it."""
        return _tokens(_translate(self.text))

    @cached_property
    def ends(self) -> tuple[str, str]:
        """The literal characters every match starts and ends with: most paths are turned down on them."""
        literal = [ch if kind == LIT else None for kind, ch in self.tokens]
        head = literal.index(None) if None in literal else len(literal)
        tail = len(literal) - (literal[::-1].index(None) if None in literal else 0)
        return "".join(literal[:head]), "".join(literal[max(head, tail):])  # type: ignore[arg-type]

    def match(self, path: str) -> bool:
        suffix = self.text[2:]
        if self.text.startswith("**") and not any(ch in suffix for ch in "*?[]\\"):
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])  # suffixMatch
        head, tail = self.ends
        if len(head) == len(self.tokens):  # only literals: `$` also matches before a final newline
            return path in (head, head + "\n")
        if not path.startswith(head) or not path.endswith((tail, tail + "\n")):
            return False
        return _run(self.tokens, path)


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
                pattern.tokens  # noqa: B018 - compiled now so that a bad pattern fails here, as in Go
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
