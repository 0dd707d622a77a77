""".dockerignore matching without a backtracking regex: same answers as the regex port, in linear-ish time.

`*a*a*a*a*a*a*a*a*b` against a 60-character name took minutes when each pattern was run by `re`;
the NFA in dlint.lint.dockerignore must say exactly what the regex said, only without the blow-up.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlint.lint.dockerignore import Pattern, PatternMatcher, _translate

ROOT = Path(__file__).resolve().parent.parent
# Sets like `[[^/]` (what `[*]` becomes) make `re` warn of a possible nested set, old and new alike.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def reference_oracle_regex(text: str) -> re.Pattern[str]:
    """REFERENCE ORACLE: the pattern as dlint matched it before, Python's backtracking regex engine
    run on the same translation (_translate was Pattern.regex's body). Exponential on some inputs,
    so only ever run here on short ones."""
    return re.compile("^" + _translate(text) + "$", re.DOTALL)


def reference_oracle_match(text: str, path: str) -> bool:
    """REFERENCE ORACLE: the old Pattern.match, suffixMatch shortcut included."""
    suffix = text[2:]
    if text.startswith("**") and not any(ch in suffix for ch in "*?[]\\"):
        return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
    return reference_oracle_regex(text).match(path) is not None


PATTERN_PIECES = ["a", "b", "/", "*", "?", "[ab]", "[!a]", "**", "\\*"]
# The corners the regex port gave meaning to: negated and odd sets, `*` and `?` inside a set,
# a `^` left in the text, stray brackets, a trailing backslash, escaped dots and a newline.
QUIRK_PIECES = ["[^a]", "[a-b]", "[]a]", "[*]", "[?]", "[a*", "[", "]", "^", "\\", "\\a", ".", "-", "\n", "**/"]
PATH_CHARS = "ab/"
QUIRK_PATH_CHARS = "ab/!*.^-]\n"


def _pairs(pieces: list[str], chars: str, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        path = "".join(rng.choice(chars) for _ in range(rng.randint(0, 8)))
        out.append((pattern, path))
    return out


def _outcome(match, pattern: str, path: str) -> object:
    try:
        return match(pattern, path)
    except re.error as e:
        return f"error: {e}"


def _new_match(pattern: str, path: str) -> bool:
    return Pattern(pattern, False).match(path)


@pytest.mark.parametrize(("pieces", "chars", "seed"), [
    (PATTERN_PIECES, PATH_CHARS, 1),
    (PATTERN_PIECES, PATH_CHARS, 2),
    (PATTERN_PIECES + QUIRK_PIECES, QUIRK_PATH_CHARS, 3),
])
def test_same_answer_as_the_old_regex_on_generated_pairs(pieces, chars, seed):
    wrong = []
    for pattern, path in _pairs(pieces, chars, 3000, seed):
        old, new = _outcome(reference_oracle_match, pattern, path), _outcome(_new_match, pattern, path)
        if old != new:
            wrong.append((pattern, path, old, new))
    assert wrong == []


def test_every_piece_pair_against_every_short_path():
    """Exhaustive over two pieces and paths up to four characters, for what random draws may miss."""
    paths = [""] + [a + b + c + d for a in "ab/" for b in ["", *"ab/"] for c in ["", *"ab/"] for d in ["", "a", "/"]]
    pieces = PATTERN_PIECES + QUIRK_PIECES
    wrong = []
    for x in pieces:
        for y in ["", *pieces]:
            for path in paths:
                old, new = _outcome(reference_oracle_match, x + y, path), _outcome(_new_match, x + y, path)
                if old != new:
                    wrong.append((x + y, path, old, new))
    assert wrong == []


@pytest.mark.parametrize(("lines", "path", "expected"), [
    (["*.log"], "app.log", True),
    (["*.log"], "logs/app.log", False),
    (["**/*.log"], "logs/app.log", True),
    (["logs"], "logs/app.log", True),  # a parent directory matches
    (["*", "!keep"], "keep", False),
    (["*", "!keep"], "keep/x", False),  # the parent `keep` is excluded by `*`, then re-included
    (["a/**"], "a/b/c", True),
    (["[!a]x"], "!x", True),  # `!` is no negation in a Go (or Python) regex set
    (["[^a]x"], "bx", True),
    (["\\*"], "*", True),
    (["\\*"], "a", False),
])
def test_matcher_answers(lines, path, expected, monkeypatch):
    assert PatternMatcher(lines).matches_or_parent_matches(path) is expected
    monkeypatch.setattr(Pattern, "match", lambda self, path: reference_oracle_match(self.text, path))
    assert PatternMatcher(lines).matches_or_parent_matches(path) is expected


def test_a_bad_set_is_refused_with_the_same_message():
    for text in ["[", "a[b", "[b-a]", "x[]", "[^", "b[-\\*-", "[a-"]:
        with pytest.raises(re.error) as old:
            reference_oracle_regex(text)
        with pytest.raises(ValueError, match=re.escape(str(old.value))):
            PatternMatcher([text])


HANG_SCRIPT = textwrap.dedent("""
    from dlint.lint.dockerignore import Pattern, PatternMatcher
    cases = [  # each near-miss also ends in the pattern's last literal, so that only the NFA can say no
        ("*" + "a*" * 16 + "b", "a" * 400, False),
        ("*" + "a*" * 16 + "b", "a" * 400 + "/b", False),
        ("*" + "a*" * 16, "a" * 400 + "/b", False),
        ("**/" * 40 + "b", "a/" * 100, False),
        ("**/" * 40 + "b", "a/" * 100 + "ab", False),
        ("**/" * 40 + "b", "a/" * 100 + "b", True),
        ("?*" * 40 + "b", "a" * 400 + "/b", False),
        ("?*" * 40 + "b", "a" * 400 + "b", True),
        ("**" + "a**" * 16 + "b", "a" * 400 + "c", False),
        ("*" + "[ab]*" * 16 + "c", "ab" * 200 + "/c", False),
        ("*/" * 20 + "*" + "a*" * 16, "a/" * 20 + "a" * 15 + "b", False),
    ]
    for text, path, expected in cases:
        assert Pattern(text, False).match(path) is expected, text
        assert PatternMatcher([text]).matches_or_parent_matches(path + "/" + path) in (True, False), text  # and parents
    print("ok")
""")


def test_pathological_patterns_finish():
    """Shapes that backtrack for hours in `re` (nested stars against a long near-miss)."""
    run = subprocess.run([sys.executable, "-c", HANG_SCRIPT], env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=30, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "ok\n", "")


def test_cli_check_of_the_reported_dockerignore_completes(tmp_path):
    (tmp_path / ".dockerignore").write_text("*" + "a*" * 8 + "b\n")
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nCOPY " + "a" * 60 + " /x\nCOPY " + "a" * 60 + "/b /y\n")
    run = subprocess.run([sys.executable, "-m", "dlint", "check", "--select", "DLB012", "Dockerfile"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30,
                         check=False)
    assert (run.returncode, run.stderr) == (0, "dlint: no findings in 1 file\n")


def test_cli_check_still_reports_an_ignored_copy(tmp_path):
    (tmp_path / ".dockerignore").write_text("*" + "a*" * 8 + "\n")
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nCOPY " + "a" * 60 + " /x\n")
    run = subprocess.run([sys.executable, "-m", "dlint", "check", "--select", "DLB012", "Dockerfile"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30,
                         check=False)
    assert run.returncode == 1
    assert "DLB012" in run.stdout and "excluded by .dockerignore" in run.stdout


def test_patterns_end_at_newlines_only_and_trim_what_go_trims():
    """BuildKit splits a .dockerignore at `\\n` (a CR before it dropped) and trims with Go's TrimSpace:
    str.splitlines also broke lines at a form feed, a lone CR, U+0085 or U+2028, making two patterns of one."""
    from dlint.lint.dockerignore import read_patterns

    text = "a\fb\nc\rd\r\n#x\n e\u2028f \n\x1cg\n\u3000h\u0085\n"
    assert read_patterns(text) == ["a\fb", "c\rd", "e\u2028f", "\x1cg", "h"]
