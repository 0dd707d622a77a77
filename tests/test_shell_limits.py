"""What dlint hands tree-sitter-bash is bounded: on some broken shell text its error recovery
goes quadratic (150 s for 500 KB of `(a) (a) ...`, 640 MB for a 32 KB pipeline left open),
and so does its heredoc scanner on many `<<`, and a script's shell view costs memory in
proportion to its size (1 GB for 2 MB of `a;a;...`), so such a RUN is reported as DL1000, not
analysed, and the file gets no fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlint.lint.engine import Selection, default_codes, lint
from dlint.lint.fix import fix_text
from dlint.parsing.dockerfile import parse
from dlint.parsing.shell import MAX_COUNTS, MAX_SCRIPT_SIZE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from memory import peak_rss_mb
from shapes import NO_SIZE_LIMIT

ROOT = Path(__file__).resolve().parents[1]
MAX_PIPES = MAX_COUNTS["|"]

# Broken text whose parse re-lexes the rest of the script at every token: n units of each.
RELEXING = {
    "subshells side by side": lambda n: "echo " + "(a) " * n,
    "glued subshells": lambda n: "echo " + "(a)(a)" * n,
    "function heads with no body": lambda n: "a() " * n,
    "closing parentheses": lambda n: "echo " + "a) " * n,
    "arithmetic commands side by side": lambda n: "echo " + "((a)) " * n,
    "negated subshells": lambda n: "echo " + "!(a) " * n,
    "unclosed case statements then a pipe": lambda n: "case x in a) b;; " * n + "|",
}

# Where a script sits in a RUN: each is parsed on its own.
PLACES = {
    "the RUN line": lambda script: f"RUN {script}\n",
    "a heredoc body": lambda script: f"RUN <<EOF\n{script}\nEOF\n",
    "an sh -c string": lambda script: f"RUN sh -c '{script}'\n",
    "an ONBUILD trigger": lambda script: f"ONBUILD RUN {script}\n",
}


def findings(text: str, max_script_size: int = MAX_SCRIPT_SIZE) -> list[tuple[str, int, str]]:
    selection = Selection(default_codes(), options={"DL1000": {"max-script-size": max_script_size}})
    return [(f.code, f.line, f.message) for f in lint(parse(text, "Dockerfile"), selection)[0]]


def unanalysed(text: str) -> list[str]:
    return [message for code, _, message in findings(text) if code == "DL1000"]


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("shape", sorted(RELEXING))
def test_a_script_the_parser_keeps_relexing_is_reported_not_analysed(shape: str, place: str) -> None:
    text = "FROM debian:12\n" + PLACES[place](RELEXING[shape](3000)) + "RUN apt-get install -y curl\n"
    found = findings(text)
    assert [(line, m) for code, line, m in found if code == "DL1000"] == [
        (2, "the shell parser re-read this script more than 4 times (text it cannot make sense of): it is not analysed")
    ]
    # Nothing is guessed about the broken RUN; the one after it is still analysed.
    assert [code for code, line, _ in found if line == 2 and code != "DL1000"] == []
    last = text.count("\n")
    assert {"DL3008", "DL3015"} <= {code for code, line, _ in found if line == last}


@pytest.mark.parametrize("shape", sorted(RELEXING))
def test_half_a_megabyte_of_relexing_text_is_answered_at_once(shape: str, tmp_path: Path) -> None:
    """A hang guard, not a timing: unbounded, each of these files took minutes (the first 158 s).
    The size limits (of a file and of a script) are lifted, so that the reading budget is what answers."""
    (tmp_path / ".dlint.toml").write_text(NO_SIZE_LIMIT, encoding="utf-8")
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN " + " \\\n".join([RELEXING[shape](100)] * 1000) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "dlint", "check", "--max-file-size", "10000000", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=20, check=False)
    assert run.returncode == 1, run.stderr
    assert "DL1000 [error] the shell parser re-read this script" in run.stdout


@pytest.mark.parametrize("tail", ["", ")", "| ; b", "&& b", " \\\n)"])
@pytest.mark.parametrize("pipe", ["|", "|&"])
def test_more_than_the_pipe_limit_is_reported_not_analysed(pipe: str, tail: str) -> None:
    script = "echo " + f"a {pipe} " * (MAX_PIPES + 1) + "b"
    assert unanalysed(f"FROM debian:12\nRUN {script}{tail}\n") == [
        f"more than {MAX_PIPES} `|` in one shell script: it is not analysed"
    ]


# Valid shell whose every `<<` (a shift, to tree-sitter's heredoc scanner a possible heredoc) costs
# time in proportion to the ones before it: 50,000 of them took 1.3 s, a megabyte about 80 s.
SHIFTS = {
    "one arithmetic expansion": lambda n: "echo $((1" + "<<1" * n + "))",
    "arithmetic commands": lambda n: "((1<<1)); " * n,
    "expansions on one line": lambda n: "echo" + " $((1<<2))" * n,
    "array subscripts": lambda n: "a[1" + "<<1" * n + "]=x",
}


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("shape", sorted(SHIFTS))
def test_more_than_the_limit_of_shifts_is_reported_not_analysed(shape: str, place: str) -> None:
    limit = MAX_COUNTS["<<"]
    text = "FROM debian:12\n" + PLACES[place](SHIFTS[shape](limit + 1))
    assert unanalysed(text) == [f"more than {limit} `<<` in one shell script: it is not analysed"]


def test_shifts_up_to_the_limit_are_analysed() -> None:
    script = "echo $((1" + "<<1" * MAX_COUNTS["<<"] + ")) && apt-get install -y curl"
    codes = {code for code, _, _ in findings(f"FROM debian:12\nRUN {script}\n")}
    assert "DL1000" not in codes and {"DL3008", "DL3015"} <= codes


def lint_in_a_subprocess(texts: list[str]) -> int:
    """How many of `texts` get a DL1000, linted in a subprocess, so that a crash fails the test
    rather than the run. JSON carries lone surrogates through, as an editor's messages do."""
    code = ("import sys, json\nfrom dlint.lint.engine import lint\nfrom dlint.parsing.dockerfile import parse\n"
            "print(sum(any(f.code == 'DL1000' for f in lint(parse(t, 'Dockerfile'))[0]) for t in json.load(sys.stdin)))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, input=json.dumps(texts), capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-500:]}"
    return int(run.stdout)


def test_the_reading_budget_never_cuts_a_character_in_two() -> None:
    """When the budget ran out while tree-sitter waited for the rest of a character split across two
    pieces, it crashed the process (SIGSEGV): 2.8 KB of `(é) ` was enough."""
    shapes = ["(é) ", "é() ", "${a:-é ", '"${a:-ü ', "${a/😀 ", "${a#é\t", "((é)) ", "!(😀) ", "case é in é) é;; "]
    texts = [f"FROM debian:12\nRUN echo {unit * k}\n" for unit in shapes for k in range(300, 3000, 37)]
    assert lint_in_a_subprocess(texts) > len(texts) // 2  # most trip the budget: the cut-off is what is tested


def test_lone_surrogates_from_an_editor_never_crash_the_shell_parser() -> None:
    """An editor's buffer arrives as JSON, which can hold a lone surrogate (a file cannot: it is not
    UTF-8). Its bytes never decode, and tree-sitter crashed (SIGSEGV) when the budget ran out there:
    the language server died on 3.3 KB of `(\\udcff\\udcff) `."""
    shapes = ["(\udcff\udcff) ", "\udcff(\udcff)\udcff ", "(\udcff) ", "\ud83d\ude00(a) ", "${a:-\udc80 ", "\udbff() "]
    texts = [f"FROM debian:12\nRUN echo {unit * k}\n" for unit in shapes for k in range(400, 4200, 190)]
    assert lint_in_a_subprocess(texts) > len(texts) // 2


def test_a_long_valid_pipeline_at_the_limit_is_analysed() -> None:
    script = "echo " + "a | " * (MAX_PIPES - 1) + "apt-get install -y curl"
    codes = {code for code, _, _ in findings(f"FROM debian:12\nRUN {script}\n")}
    assert "DL1000" not in codes
    assert {"DL4006", "DL3008", "DL3015"} <= codes  # the pipe, and the install at its end


def test_pipes_in_quotes_count_towards_the_limit() -> None:
    """The limit counts every `|`, quoted or not: a bound no quoting trick can get around."""
    text = "FROM debian:12\nRUN grep -E '" + "a|" * (MAX_PIPES + 1) + "b' /etc/passwd\n"
    assert unanalysed(text) == [f"more than {MAX_PIPES} `|` in one shell script: it is not analysed"]


def test_an_error_after_a_long_pipeline_stays_in_bounded_memory(tmp_path: Path) -> None:
    """8,000 commands piped, then nothing: 670 MB peak before the limit, a quarter of that is plenty."""
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN echo " + "a | " * 8000 + "\n", encoding="utf-8")
    assert peak_rss_mb(path) < 150


def test_one_syntax_error_in_a_long_valid_script_does_not_stop_the_analysis() -> None:
    lines = [f"echo line{i} && tr a b < f{i}" for i in range(1400)]
    lines[700] = "fi"  # tree-sitter recovers from one error at linear cost: the script is still read
    text = "FROM debian:12\nRUN " + " && \\\n    ".join(lines) + " && apt-get install -y curl\n"
    assert 50_000 < len(text) < MAX_SCRIPT_SIZE
    codes = {code for code, _, _ in findings(text)}
    assert "DL1000" not in codes and {"DL3008", "DL3015"} <= codes


def test_a_file_with_an_unanalysed_run_gets_no_fix() -> None:
    text = "FROM debian:12\nRUN " + RELEXING["subshells side by side"](3000) + "\nrun apt-get update\n"
    result, found, _ = fix_text(text, "Dockerfile", Selection.default())
    assert not result.changed
    assert {"DL1000", "DLB004"} <= {f.code for f in found}  # the casing fix is there, and not applied


@settings(max_examples=60, deadline=None)
@given(
    pad=st.integers(min_value=990, max_value=1100),
    wide=st.sampled_from(["é", "€", "𝄞"]),
    run=st.integers(min_value=1, max_value=6),
)
def test_words_past_the_first_piece_point_at_their_text(pad: int, wide: str, run: int) -> None:
    """A script longer than one piece goes to tree-sitter piece by piece, and a character may straddle
    two pieces: the package word is still found, at its own line and column."""
    filler = "x" * pad + wide * run
    text = f"FROM debian:12\nRUN echo {filler} && \\\n    apt-get install -y --no-install-recommends {wide}curl\n"
    df = parse(text, "Dockerfile")
    pinned = [f for f in lint(df)[0] if f.code == "DL3008"]
    assert len(pinned) == 1
    line = text.splitlines()[pinned[0].line - 1]
    assert line[pinned[0].column - 1 : pinned[0].end_column - 1] == f"{wide}curl"


# A RUN's arguments whose script is about `size` bytes and ends in an install DL3008 reports when it is read.
INSTALL = "apt-get install -y curl"
SIZED = {
    "words over continuation lines": lambda size: " \\\n".join(["echo " + "word " * 20] * (size // 108)) + " && " + INSTALL,
    "commands over continuation lines": lambda size: " \\\n".join(["a; " * 30] * (size // 93)) + INSTALL,
    "a heredoc script": lambda size: "<<EOF\n" + "cd /d && echo hi\n" * (size // 17) + INSTALL + "\nEOF",
}


def size_of_script(text: str) -> int:
    """The size dlint gives for the RUN at line 2 when nothing is allowed: what the limit is compared with."""
    [message] = [m for code, line, m in findings(text, max_script_size=0) if code == "DL1000" and line == 2]
    return int(message.removeprefix("a shell script of ").partition(" bytes")[0].replace(",", ""))


@pytest.mark.parametrize("shape", sorted(SIZED))
def test_a_script_over_the_size_limit_is_reported_not_analysed(shape: str) -> None:
    text = f"FROM debian:12\nRUN {SIZED[shape](MAX_SCRIPT_SIZE + 5000)}\nRUN apt-get install -y wget\n"
    size = size_of_script(text)
    assert size > MAX_SCRIPT_SIZE
    found = findings(text)
    assert [(line, m) for code, line, m in found if code == "DL1000"] == [
        (2, f"a shell script of {size:,} bytes, over the {MAX_SCRIPT_SIZE:,} that DL1000's max-script-size allows:"
            " it is not analysed")
    ]
    last = text.count("\n")
    assert [code for code, line, _ in found if 2 <= line < last and code != "DL1000"] == []  # nothing guessed
    assert "DL3008" in {code for code, line, _ in found if line == last}  # the RUN after it is still read
    # Lifted past the script's size, the same RUN is read: the install at its end is found.
    read = findings(text, max_script_size=size)
    assert "DL1000" not in {code for code, _, _ in read}
    assert any(code == "DL3008" and "`curl`" in m for code, _, m in read)


@pytest.mark.parametrize("shape", sorted(SIZED))
def test_the_size_limit_is_inclusive_to_the_byte(shape: str) -> None:
    text = f"FROM debian:12\nRUN {SIZED[shape](3000)}\n"
    size = size_of_script(text)
    assert 2500 < size < 3500  # the size of what the shell reads, near what was generated
    assert all(code != "DL1000" for code, _, _ in findings(text, max_script_size=size))
    assert [code for code, _, _ in findings(text, max_script_size=size - 1)].count("DL1000") == 1


def test_a_heredoc_fed_to_a_command_is_not_counted_as_script() -> None:
    """A body `cat` writes to a file is data, not shell: a large one does not stop the RUN being read."""
    body = "key = value\n" * (2 * MAX_SCRIPT_SIZE // 12)
    text = f"FROM debian:12\nRUN cat > /etc/app.conf <<EOF && {INSTALL}\n{body}EOF\n"
    found = findings(text)
    assert "DL1000" not in {code for code, _, _ in found}
    assert any(code == "DL3008" and "`curl`" in m for code, _, m in found)


def test_an_instruction_buildkit_refuses_gets_one_dl1000_however_long_its_script() -> None:
    script = " \\\n".join(["echo " + "word " * 20] * 1000)
    assert unanalysed(f"FROM debian:12\nRUN --nosuchflag {script}\n") == ["unknown flag: --nosuchflag"]


def test_the_size_limit_is_set_in_the_config_and_checked_there(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:12\nRUN " + SIZED["words over continuation lines"](100_000) + "\n", encoding="utf-8")
    check = [sys.executable, "-m", "dlint", "check", "--format", "json", "Dockerfile"]

    def codes() -> list[str]:
        run = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 1, run.stderr
        return [f["code"] for f in json.loads(run.stdout)]

    assert codes() == ["DL1000"]
    (tmp_path / ".dlint.toml").write_text("[rules.DL1000]\nmax-script-size = 200_000\n", encoding="utf-8")
    assert "DL1000" not in codes() and "DL3008" in codes()
    for bad, said in (("-1", "an integer -1"), ("true", "a boolean True"), ('"64K"', "a string '64K'")):
        (tmp_path / ".dlint.toml").write_text(f"[rules.DL1000]\nmax-script-size = {bad}\n", encoding="utf-8")
        run = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 2 and run.stdout == ""
        assert run.stderr == (f"dlint: {tmp_path / '.dlint.toml'}: rules.DL1000.max-script-size: "
                              f"expected a number of bytes (0 or more), got {said}\n")


def _marker_as_a_pattern_per_name(text: str, pos: int, name: str) -> tuple[int, int] | None:
    """The oracle: one regular expression per heredoc name, as BuildKit's markers are written."""
    import re

    quoted = f"""(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')"""
    found = re.compile(rf"(?<!<)\d*<<-?{quoted}(?![\w-])").search(text, pos)
    return (found.start(), found.end()) if found else None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="<-\"' 1EOFé_x", max_size=30), st.sampled_from(["EOF", "-EOF", "E", "x-y", "é"]),
       st.integers(0, 5))
def test_heredoc_markers_are_found_where_a_pattern_per_name_finds_them(text: str, name: str, pos: int) -> None:
    from dlint.parsing.shell import _marker

    assert _marker(text, pos, name) == _marker_as_a_pattern_per_name(text, pos, name)


def test_thousands_of_heredoc_names_on_one_run_compile_no_pattern_each() -> None:
    import re
    from unittest import mock

    names = [f"E{i}" for i in range(3000)]
    text = "FROM a\nRUN cat " + " \\\n ".join(f"<<{n}" for n in names) + "\n" + "".join(
        f"body {n}\n{n}\n" for n in names)
    with mock.patch("re.compile", wraps=re.compile) as compiled:
        findings, crashes = lint(parse(text, "Dockerfile"), Selection.default())
    assert not crashes and not [f for f in findings if f.code in ("DL1000", "DL1002")]
    assert compiled.call_count < 100  # a pattern per heredoc name was 3,000 compiles (8,000 names: 1.5 s)


def test_a_long_image_name_is_refused_before_the_reference_pattern_reads_it(monkeypatch) -> None:
    from dlint.lint.checks import buildkit_args

    class Unread:
        def fullmatch(self, _name):
            raise AssertionError("a 32 KiB name went through the pattern (milliseconds each, minutes per file)")

    monkeypatch.setattr(buildkit_args, "_REFERENCE", Unread())
    assert not buildkit_args.valid_reference("a" * 32768)
    assert not buildkit_args.valid_reference("registry.example:5000/" + "b" * 300 + ":tag")
