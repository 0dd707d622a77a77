"""Corpus mutations shared by the property test (tests/test_fuzz.py) and bench/fuzz.py.

Seeds are real Dockerfiles; mutations are the edits that break parsers in
practice: cut and spliced lines, stray backslashes, heredoc markers, quotes,
NUL and non-UTF-8 bytes; and growing ones (a line, word or nesting
repeated, a word lengthened, files concatenated) so inputs also get bigger.
"""

from __future__ import annotations

import os
import random
from functools import cache
from pathlib import Path

from machine import CORPUS

ROOT = Path(__file__).resolve().parents[1]

SNIPPETS = [
    b"\\", b"\\\\", b" \\", b"`", b"\n", b"\r\n", b"#", b"# escape=`\n", b"<<EOF", b"<<-EOF", b"<<'EOF'",
    b'<<"EOF"', b"\nEOF\n", b"\n\tEOF", b"3<<X", b'"', b"'", b"[", b"]", b'["a", 1]', b"${", b"$", b"--",
    b"--mount=type=cache,target=/x ", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"ONBUILD ", b"FROM ",
    b"RUN ", b"COPY ", b"ENV ", b"=", b"\t", "\u00a0".encode(), "\u2028".encode(), b"$(", b"&&", b"|", b";",
    b"apt-get update", b"apt-get install -y ", b"sh -c '", b" -- ",
]


@cache
def seeds() -> tuple[bytes, ...]:
    """The parser fixtures, plus BuildKit's parser tests and real/ when ../shared/corpus is there."""
    paths = sorted((ROOT / "fixtures" / "parser").glob("*"))
    for sub in ("buildkit-parser", "real"):
        for dirpath, _, names in os.walk(CORPUS / sub):
            paths += [Path(dirpath) / n for n in sorted(names) if n != "result"]
    return tuple(p.read_bytes() for p in paths)


GROWTH = 40  # how many times a growing mutation repeats what it picked: big enough to find blow-ups, small enough to stay fast


def mutate(rng: random.Random, pool: tuple[bytes, ...] | None = None) -> bytes:
    pool = pool or seeds()
    lines = rng.choice(pool).split(b"\n")
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["cut", "splice", "duplicate", "insert", "join", "grow"])
        if op == "grow" and lines:
            lines = grow(rng, lines, pool)
            continue
        i = rng.randint(0, len(lines))
        if op == "cut" and lines:
            del lines[i : i + rng.randint(1, 20)]
        elif op == "splice":
            other = rng.choice(pool).split(b"\n")
            j = rng.randint(0, len(other))
            lines[i:i] = other[j : j + rng.randint(1, 30)]
        elif op == "duplicate" and lines:
            k = min(i, len(lines) - 1)
            lines[k:k] = lines[k : k + rng.randint(1, 5)]
        elif op == "insert" and lines:
            k = min(i, len(lines) - 1)
            pos = rng.randint(0, len(lines[k]))
            lines[k] = lines[k][:pos] + rng.choice(SNIPPETS) + lines[k][pos:]
        elif op == "join" and len(lines) > 1:
            k = min(i, len(lines) - 2)
            lines[k : k + 2] = [lines[k] + rng.choice([b" ", b"", b"\\"]) + lines[k + 1]]
    return b"\n".join(lines)


def grow(rng: random.Random, lines: list[bytes], pool: tuple[bytes, ...]) -> list[bytes]:
    """Growing mutations: repeat a line or a word, nest brackets, lengthen a word, concatenate files."""
    k = rng.randint(2, GROWTH)
    i = rng.randrange(len(lines))
    how = rng.choice(["line", "word", "nest", "lengthen", "concatenate"])
    if how == "line":
        return lines[:i] + [lines[i]] * k + lines[i + 1 :]
    words = lines[i].split(b" ")
    j = rng.randrange(len(words))
    if how == "word":
        words[j:j] = [words[j]] * k
    elif how == "nest":
        opener, closer = rng.choice([(b"$(", b")"), (b"${a:-", b"}"), (b"(", b")"), (b"{ ", b"; }")])
        words[j] = opener * k + words[j] + closer * k
    elif how == "lengthen":
        words[j] = words[j] * k
    else:
        return lines + [line for _ in range(rng.randint(1, 3)) for line in rng.choice(pool).split(b"\n")]
    return lines[:i] + [b" ".join(words)] + lines[i + 1 :]
