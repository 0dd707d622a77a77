"""`dlint check` as a user runs it: output lines, JSON fields, exit codes, bad input."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "check"
BAD = FIXTURES / "bad.Dockerfile"
GOOD = FIXTURES / "good.Dockerfile"


def dlint(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "dlint", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def test_text_lines_sorted_with_summary_on_stderr():
    p = dlint("check", str(BAD))
    assert p.returncode == 1
    lines = p.stdout.decode().splitlines()
    assert lines[0].startswith(f"{BAD}:2:5: DL3009 [warning] ")
    assert lines[1] == (
        f"{BAD}:2:5: DLT001 [warning] `apt-get update` runs in a RUN that installs nothing after it: its lists "
        "are cached in their own layer and go stale; update and install in the same RUN"
    )
    keys = [(int(line.split(":")[1]), int(line.split(":")[2])) for line in lines]
    assert keys == sorted(keys)
    codes = [line.split()[1] for line in lines]
    assert codes.count("DLT002") == 1 and codes.count("DLT003") == 1 and "DL3009" in codes
    assert p.stderr.decode() == "dlint: 5 findings (1 style, 4 warning) in 1 file, 3 fixable\n"


@pytest.mark.parametrize(
    "case",
    ["findings", "clean", "unreadable", "stdin", "directory", "config", "nothing found", "fix", "fix stdin"],
)
def test_bare_check_answers_exactly_as_the_typer_command(tmp_path, case):
    """`dlint check [--fix] PATH...` skips typer for speed; `--format text` (the default) goes through it.

    Each way runs in its own copy of the same tree, so fixes and outputs can be compared whole."""
    args, stdin = {
        "findings": ([str(BAD)], None),
        "clean": ([str(GOOD)], None),
        "unreadable": (["missing", str(BAD)], None),
        "stdin": (["-"], BAD.read_bytes()),
        "directory": (["."], None),
        "config": (["Dockerfile"], None),
        "nothing found": (["sub/empty"], None),
        "fix": (["--fix", "Dockerfile", "sub"], None),
        "fix stdin": (["-", "--fix"], BAD.read_bytes()),
    }[case]
    answers = []
    for way, options in (("bare", []), ("typer", ["--format", "text"])):
        tree = tmp_path / way
        (tree / "sub" / "empty").mkdir(parents=True)
        (tree / "Dockerfile").write_bytes(BAD.read_bytes())
        (tree / "sub" / "app.Dockerfile").write_bytes(BAD.read_bytes())
        if case == "config":
            (tree / ".dlint.toml").write_text('failure-threshold = "error"\nignore = ["DLT003"]\n')
        p = dlint("check", *options, *args, stdin=stdin, cwd=tree)
        files = {f.relative_to(tree).as_posix(): f.read_bytes() for f in sorted(tree.rglob("*")) if f.is_file()}
        answers.append((p.returncode, p.stdout, p.stderr, files))
    assert answers[0] == answers[1]
    code, out, err, files = answers[0]
    assert err.decode().splitlines()[-1].startswith("dlint: ")  # the summary closes every run
    if case == "fix":
        assert files["Dockerfile"] != BAD.read_bytes() and files["sub/app.Dockerfile"] != BAD.read_bytes()


@pytest.mark.parametrize("options", [[], ["--format", "text"]], ids=["bare", "typer"])
def test_a_reader_that_went_away_is_no_traceback(options):
    """`dlint check ... | head` with head gone: exit 1 quietly, on both paths."""
    read, write = os.pipe()
    os.close(read)  # every write to stdout now fails with EPIPE
    try:
        command = [sys.executable, "-m", "dlint", "check", *options, str(BAD)]
        p = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert p.returncode == 1
    assert b"Traceback" not in p.stderr and b"Error" not in p.stderr


def test_bare_check_leaves_the_cli_and_other_slow_imports_alone(tmp_path):
    """Start-up is pre-commit's wait: a bare check must not import typer, click, pathlib, tomllib or hashlib.

    In a directory with no config file above it: finding one rightly needs tomllib."""
    target = tmp_path / "Dockerfile"
    target.write_bytes(BAD.read_bytes())
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dlint", "check", str(target)], capture_output=True, timeout=120
    )
    assert p.returncode == 1 and p.stdout.decode().count("\n") == 5
    imported = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.decode().splitlines() if "|" in line}
    assert "dlint.lint.command" in imported and "tree_sitter" in imported
    slow = {"typer", "click", "pathlib", "tomllib", "hashlib", "docker", "tabulate", "importlib.resources"}
    assert not imported & (slow | {"pygls", "lsprotocol", "dlint.lsp"})


def test_typer_check_leaves_the_language_server_alone():
    """Only `dlint lsp` imports pygls: every other command starts without it."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dlint", "check", "--format", "json", str(BAD)],
        capture_output=True, timeout=120,
    )
    assert p.returncode == 1 and json.loads(p.stdout)
    imported = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.decode().splitlines() if "|" in line}
    assert "typer" in imported and not imported & {"pygls", "lsprotocol", "dlint.lsp"}


def test_clean_file_exits_zero():
    p = dlint("check", str(GOOD))
    assert p.returncode == 0, p.stdout
    assert p.stdout == b""


def test_json_has_hadolint_fields_first():
    p = dlint("check", "--format", "json", str(BAD))
    data = json.loads(p.stdout)
    assert list(data[0])[:6] == ["file", "line", "column", "end_line", "end_column", "code"]
    dup = next(d for d in data if d["code"] == "DLT003")
    assert dup["name"] == "duplicate-packages" and dup["level"] == "warning"
    assert (dup["line"], dup["column"], dup["end_column"]) == (3, 58, 62)
    assert (dup["instruction_line"], dup["instruction_end_line"]) == (3, 4)  # the RUN's continuation line
    assert {d["code"]: d["fixable"] for d in data} == {
        "DL3009": False, "DLT001": True, "DL3008": False, "DLT002": True, "DLT003": True,
    }


def test_stdin(tmp_path):
    p = dlint("check", "-", stdin=BAD.read_bytes())
    assert p.returncode == 1
    assert "-:2:5: DLT001 [warning]" in p.stdout.decode()


def test_unreadable_input_still_lints_the_others(tmp_path):
    p = dlint("check", str(tmp_path / "missing"), str(BAD))
    assert p.returncode == 2
    assert p.stdout.decode() == dlint("check", str(BAD)).stdout.decode()  # BAD's findings, all of them
    assert p.stderr.decode().splitlines() == [
        f"dlint: {tmp_path / 'missing'}: cannot read: No such file or directory",
        "dlint: 5 findings (1 style, 4 warning) in 1 file, 3 fixable, 1 file not read",
    ]


def test_a_file_named_or_found_twice_is_linted_once(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(BAD.read_bytes())
    once = dlint("check", "Dockerfile", cwd=tmp_path).stdout
    assert once and dlint("check", ".", "Dockerfile", "./Dockerfile", cwd=tmp_path).stdout == once
    stdin_twice = dlint("check", "-", "-", stdin=BAD.read_bytes())
    assert b"DL1000" not in stdin_twice.stdout  # no second, empty read of stdin
    assert stdin_twice.stdout == dlint("check", "-", stdin=BAD.read_bytes()).stdout


def test_format_output_pairs(tmp_path):
    out = tmp_path / "r.json"
    p = dlint("check", "--format", "json", "--output", str(out), "--format", "text", str(BAD))
    assert p.returncode == 1
    assert json.loads(out.read_text())[0]["code"] == "DL3009"
    assert p.stdout.decode().startswith(f"{BAD}:2:5: DL3009")


def test_attached_short_options_pair_too(tmp_path):
    out = tmp_path / "r.json"
    p = dlint("check", "-fjson", f"-o{out}", "-ftext", str(BAD))
    assert json.loads(out.read_text())[0]["code"] == "DL3009"
    assert p.stdout.decode().startswith(f"{BAD}:2:5: DL3009")


def test_an_unwritable_output_still_gives_the_other_reports(tmp_path):
    p = dlint("check", "--format", "json", "--output", str(tmp_path / "no" / "r.json"), "--format", "text", str(BAD))
    assert p.returncode == 2
    assert p.stdout.decode().startswith(f"{BAD}:2:5: DL3009")
    err = p.stderr.decode().splitlines()
    assert "cannot write" in err[0] and " findings (" in err[-1]  # the summary still comes


def test_colour_follows_no_color_as_its_spec_says(monkeypatch):
    from dlint.output import use_colour

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "")  # present but empty: colour stays on (no-color.org)
    assert use_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())


def test_directory_discovery(tmp_path):
    names = [
        "Dockerfile", "Dockerfile.dev", "app.Dockerfile", "web.dockerfile", "Containerfile",
        "Containerfile.ci", ".hidden/Dockerfile", ".Dockerfile.dockerfile", "sub/deep/Dockerfile",
    ]
    skipped = ["Dockerfile.dockerignore", "README.md", ".git/Dockerfile", "notes.txt"]
    for n in names + skipped:
        f = tmp_path / n
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("FROM debian:bookworm-slim\nRUN apt-get update\n")
    p = dlint("check", "--format", "json", str(tmp_path))
    found = {Path(d["file"]).relative_to(tmp_path).as_posix() for d in json.loads(p.stdout)}
    assert found == set(names)


def test_every_dockerfile_name_pattern_holds_a_word_discovery_looks_for_first():
    """Discovery turns a name away when it holds neither word: a pattern without one would never match."""
    from dlint.lint.discovery import NAME_PATTERNS

    assert all("ockerfile" in p or "ontainerfile" in p for p in NAME_PATTERNS)


@pytest.mark.parametrize(
    "content,needle",
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary"),
        (b"FROM debian\nRUN echo \xff\xfe\n", "byte offset 21"),
    ],
)
def test_unreadable_content_is_one_line_exit_2(tmp_path, content, needle):
    f = tmp_path / "Dockerfile"
    f.write_bytes(content)
    p = dlint("check", str(f))
    assert p.returncode == 2
    err = p.stderr.decode().strip().splitlines()
    assert needle in err[0] and str(f) in err[0]


@pytest.mark.parametrize(
    "content,expected",
    [
        ("", [("DL1000", 1, "error")]),
        ("# just a comment\n", [("DL1000", 1, "error")]),
        ("RUN echo no from\n", [("DL3061", 1, "error")]),  # hadolint's code for it; not reported twice as DL1000
        ("FROM debian\nONBUILD ONBUILD RUN x\n", [("DL3006", 1, "warning"), ("DL3043", 2, "error")]),
        ("FROM debian\nRUN <<EOF\napt-get update\n", [("DL3006", 1, "warning"), ("DL1000", 2, "error")]),
        ("FROM debian\nRUN echo 'unterminated\n", [("DL3006", 1, "warning")]),  # the shell error is not a finding
    ],
)
def test_broken_dockerfiles_never_crash(tmp_path, content, expected):
    f = tmp_path / "Dockerfile"
    f.write_text(content)
    p = dlint("check", "--format", "json", str(f))
    assert p.returncode == 1, p.stderr
    assert [(d["code"], d["line"], d["level"]) for d in json.loads(p.stdout)] == expected


def test_huge_file(tmp_path):
    f = tmp_path / "Dockerfile"
    body = "RUN echo " + "x" * 1000 + "\n"
    f.write_text("FROM debian\n" + body * 50_000)  # ~50 MB
    p = dlint("check", "--max-file-size", "60000000", "--format", "json", str(f))  # over the 10 MB default
    assert p.returncode == 1
    found = json.loads(p.stdout)
    assert [(d["code"], d["line"]) for d in found[:2]] == [("DL3006", 1), ("DL3059", 3)]
    assert [d["line"] for d in found[1:]] == list(range(3, 50_002))  # every RUN after the first, none lost
    assert {d["code"] for d in found[1:]} == {"DL3059"}
    assert p.stderr.decode() == "dlint: 50000 findings (49999 info, 1 warning) in 1 file, 0 fixable\n"


def test_rules_explain_version():
    p = dlint("rules")
    assert p.returncode == 0
    rows = p.stdout.decode().splitlines()
    assert any(r.startswith("DLT001") and "apt-update-alone" in r and "warning" in r for r in rows)
    p = dlint("explain", "DL3009")
    assert p.returncode == 0 and "## Bad" in p.stdout.decode()
    assert dlint("explain", "apt-update-alone").stdout.startswith(b"# DLT001")
    p = dlint("explain", "NOPE1")
    assert (p.returncode, p.stderr) == (2, b"dlint: unknown rule 'NOPE1'; `dlint rules` lists them\n")
    p = dlint("--version")
    assert (p.returncode, p.stdout.decode()) == (0, f"dlint {importlib.metadata.version('dockerfile-dlint')}\n")


def test_empty_directory_says_nothing_was_found(tmp_path):
    p = dlint("check", str(tmp_path))
    assert p.returncode == 0
    assert f"no Dockerfiles found in {tmp_path}" in p.stderr.decode()


def test_summary_counts_unsafe_fixes_apart(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_text("FROM debian:12\nMAINTAINER someone@example.com\n")  # DL4000's fix is unsafe
    err = dlint("check", "--select", "DL4000", str(f)).stderr.decode()
    assert "0 fixable (1 more with --unsafe-fixes)" in err
