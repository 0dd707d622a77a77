"""Hostile words outside RUN (issue 12): `${a:-${b:-...}}` nested past the limit in FROM, ENV and
the rest is DL1000, not a RecursionError in a rule; a number of thousands of digits is read as
"too big", not a ValueError from int(); a stage name matched against an image name with many
unknown ARGs takes one pass, not a backtracking regex."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlint.lint.engine import Selection, default_codes, lint
from dlint.lint.fix import fix_text
from dlint.parsing.dockerfile import _fits, parse
from dlint.parsing.nesting import MAX_NESTING
from dlint.parsing.numbers import capped_int

ROOT = Path(__file__).resolve().parents[1]
SELECTION = Selection(frozenset(default_codes()))
APT = "RUN apt-get update && apt-get install -y curl\n"  # a fixable DL3009 beside the hostile line


def nested(depth: int) -> str:
    return "${X:-" * depth + "a" + "}" * depth


PLACES = {
    "FROM": lambda w: f"ARG X\nFROM debian:{w}\n",
    "global ARG default": lambda w: f"ARG A={w}\nFROM debian:12\n",
    "ENV": lambda w: f"FROM debian:12\nENV A={w}\n",
    "LABEL": lambda w: f"FROM debian:12\nLABEL a={w}\n",
    "WORKDIR": lambda w: f"FROM debian:12\nWORKDIR /{w}\n",
    "USER": lambda w: f"FROM debian:12\nUSER {w}\n",
    "stage ARG": lambda w: f"FROM debian:12\nARG A={w}\n",
    "ONBUILD ENV": lambda w: f"FROM debian:12\nONBUILD ENV A={w}\n",
}


def codes(text: str) -> list[tuple[int, str]]:
    findings, crashes = lint(parse(text, "Dockerfile"), SELECTION)
    assert not crashes, crashes
    return [(f.line, f.code) for f in findings]


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 800, 5000])
def test_nesting_past_the_limit_is_one_dl1000_and_no_fix(place, depth):
    text = PLACES[place](nested(depth)) + APT
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "${X:-" in ln)
    findings, crashes = lint(parse(text, "Dockerfile"), SELECTION)
    assert not crashes  # no rule recursed into it
    assert [(f.line, f.message) for f in findings if f.code == "DL1000"] == [
        (line, f"nesting deeper than {MAX_NESTING} (`${{a:-${{b:-...}}}}`): the instruction is not analysed")]
    assert "DL3009" in {f.code for f in findings}  # the other lines are still linted
    fixed, _, _ = fix_text(text, "Dockerfile", SELECTION)
    assert fixed.text == text  # dlint cannot see what the line means: the file is not rewritten


@pytest.mark.parametrize("place", sorted(PLACES))
def test_nesting_at_the_limit_is_analysed(place):
    assert "DL1000" not in {c for _, c in codes(PLACES[place](nested(MAX_NESTING)))}


LONG = "9" * 5000


@pytest.mark.parametrize(("line", "expected"), [
    (f"HEALTHCHECK --retries={LONG} CMD true", "DL1000"),  # BuildKit: strconv.ParseInt ... value out of range
    (f"HEALTHCHECK --interval={LONG}s CMD true", "DL1000"),  # time: invalid duration
    (f"HEALTHCHECK --interval=0.{LONG}s CMD true", None),  # just under a second: valid
    (f"EXPOSE {LONG}", "DL3011"),  # not a port
    (f"COPY --from={LONG} /a /b", None),  # no such stage: an image of that name
    (f"RUN {LONG}<<EOF cat\nx\nEOF", None),  # a heredoc on a file descriptor past any
])
def test_a_number_of_thousands_of_digits_is_too_big_not_a_crash(line, expected):
    found = {c for _, c in codes(f"FROM debian:12 AS a\nFROM debian:12\n{line}\n")}
    assert "DL1002" not in found
    assert (expected in found) if expected else not found & {"DL1000", "DL3011"}


def test_capped_int_keeps_every_value_a_limit_is_checked_against():
    assert [capped_int(t) for t in ("0", "007", "+12", "-3", "4294967295")] == [0, 7, 12, -3, 2**32 - 1]
    assert capped_int("0" * 10_000 + "5") == 5  # leading zeros are no size
    assert capped_int(LONG) > 2**64 and capped_int("-" + LONG) < -(2**64)
    assert capped_int("7" * 5000, 8) > 2**32


def test_stage_name_matching_agrees_with_the_regex_it_replaced():
    rng = random.Random(12)
    for _ in range(5000):
        parts = ["".join(rng.choice("ab") for _ in range(rng.randrange(3))) for _ in range(rng.randrange(2, 5))]
        name = "".join(rng.choice("ab") for _ in range(rng.randrange(8)))
        regex = re.compile(".*".join(map(re.escape, parts)), re.DOTALL)
        assert _fits(parts, name) == bool(regex.fullmatch(name)), (parts, name)


@pytest.mark.parametrize("variables", [12, 400])
def test_many_unknown_args_against_a_long_stage_name_take_one_pass(tmp_path, variables):
    """The issue's 130 bytes: twelve ARGs of unknown value in an image name against a stage name
    (was exponential: 12 took 45 s). A guard against a hang, not a speed measurement."""
    (tmp_path / "Dockerfile").write_text(
        f"ARG X\nFROM scratch AS {'a' * 40}\nFROM {'a${X}' * variables}b\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "dlint", "check", "Dockerfile"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr


def test_each_global_arg_is_expanded_with_only_the_values_it_reads(monkeypatch):
    """A FROM with `$` after a named stage expands every global ARG's default; each was handed a copy of
    all the defaults before it, so 20,000 ARGs took 25 s (quadratic). The names read are all it needs."""
    import dockerfile_parse.util

    seen: list[int] = []
    real = dockerfile_parse.util.WordSplitter

    def counting(word, args=None, **kw):
        seen.append(len(args or ()))
        return real(word, args=args, **kw)

    monkeypatch.setattr(dockerfile_parse.util, "WordSplitter", counting)
    text = "ARG B=base\n" + "".join(f"ARG A{i}=$B\n" for i in range(500)) + "FROM scratch AS base\nFROM ${A7}\n"
    df = parse(text)
    assert len(seen) > 500 and max(seen) <= 1
    assert df.stages[1].parent == 0  # A7 is `base`: the stage is found by it, as before
