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


TYPER = [sys.executable, "-c", "import sys; from dlint.cli import app; sys.argv[0] = 'dlint'; app()"]


@pytest.mark.parametrize(
    "case",
    ["findings", "clean", "unreadable", "stdin", "directory", "config", "nothing found", "fix", "fix stdin",
     "options", "reports", "jobs"],
)
def test_check_answers_exactly_as_the_typer_command(tmp_path, case):
    """`dlint check ...` reads its options without typer for speed (dlint/checkargs.py); the typer command
    must give the same answer to the same arguments.

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
        "options": (["--select=DL3,DLT", "--ignore", "DLT003", "--no-inline-ignores", "--failure-threshold",
                     "error", ".", "--target", "app", "--max-file-size", "100000", "--no-shellcheck"], None),
        "reports": (["-fjson", "-o", "a.json", "--format", "sarif", "--output=b.sarif", "--format", "text",
                     "Dockerfile"], None),
        "jobs": (["-j2", ".", "--diff", "--unsafe-fixes"], None),
    }[case]
    answers = []
    for way, command in (("bare", [sys.executable, "-m", "dlint"]), ("typer", TYPER)):
        tree = tmp_path / way
        (tree / "sub" / "empty").mkdir(parents=True)
        (tree / "Dockerfile").write_bytes(BAD.read_bytes())
        (tree / "sub" / "app.Dockerfile").write_bytes(BAD.read_bytes())
        if case == "config":
            (tree / ".dlint.toml").write_text('failure-threshold = "error"\nignore = ["DLT003"]\n')
        p = subprocess.run([*command, "check", *args], input=stdin, capture_output=True, cwd=tree, timeout=120)
        here = str(tree).encode()  # SARIF names the directory it ran in
        files = {f.relative_to(tree).as_posix(): f.read_bytes().replace(here, b"TREE")
                 for f in sorted(tree.rglob("*")) if f.is_file()}
        answers.append((p.returncode, p.stdout, p.stderr, files))
    assert answers[0] == answers[1]
    code, out, err, files = answers[0]
    assert err.decode().splitlines()[-1].startswith("dlint: ")  # the summary closes every run
    if case == "fix":
        assert files["Dockerfile"] != BAD.read_bytes() and files["sub/app.Dockerfile"] != BAD.read_bytes()
    if case == "reports":
        assert json.loads(files["a.json"]) and json.loads(files["b.sarif"])["runs"] and b"DL3009" in out


@pytest.mark.parametrize("args", [
    ["x"], ["-", "--fix", "a", "--diff"], ["--format", "json", "-f", "sarif", "-oout", "x"], ["-j", "3", "x"],
    ["--jobs=1", "--max-file-size=0", "x"], ["--shellcheck", "--no-shellcheck", "x", "--config", "c.toml"],
    ["--isolated", "--no-gitignore", "--force", "--target", "a", "--target=b", "x", "--extend-select", "DL1001"],
])
def test_options_are_read_as_typer_reads_them(monkeypatch, args):
    """What checkargs.parse makes of `check`'s arguments is what typer hands cli.check."""
    from dlint import checkargs, cli
    from dlint.lint import command

    seen = {}
    monkeypatch.setattr(cli, "check_options", lambda raw_args, values: seen.update(values))
    monkeypatch.setattr(command, "run", lambda options: 0)
    cli.app(["check", *args], standalone_mode=False)
    assert checkargs.parse(args) == seen


@pytest.mark.parametrize("args", [
    [], ["-h", "x"], ["--help"], ["--bogus", "x"], ["--fix=yes", "x"], ["--jobs", "0", "x"], ["-j", "two", "x"],
    ["--max-file-size", "-1", "x"], ["--format"], ["--format", "--fix", "x"], ["--", "-x"], ["--selec", "DL1", "x"],
])
def test_help_errors_and_unusual_arguments_are_left_to_typer(args):
    """click helps and errs in its own words: whatever the fast reader is not sure of goes to it."""
    from dlint import checkargs

    assert checkargs.parse(args) is None


def test_the_fast_reader_knows_every_option_of_the_typer_command():
    """A new option on cli.check must be taught to checkargs.OPTIONS, or it would be refused there (left to
    typer, so still working, but slow)."""
    import typer.main

    from dlint import checkargs, cli

    params = [p for p in typer.main.get_command(cli.app).commands["check"].params if p.name != "paths"]
    assert sorted(o for p in params for o in (*p.opts, *p.secondary_opts)) == sorted(checkargs.OPTIONS)
    assert {p.name: p.default for p in params} == {
        name: value for name, value in checkargs.defaults().items() if name != "paths"
    }


@pytest.mark.parametrize("check", [["check"], ["check", "--"]], ids=["bare", "typer"])
def test_a_reader_that_went_away_is_no_traceback(check):
    """`dlint check ... | head` with head gone before the first line: exit 141 quietly, through
    checkargs and through typer (`--` is left to click)."""
    read, write = os.pipe()
    os.close(read)  # every write to stdout now fails with EPIPE
    try:
        p = subprocess.run([sys.executable, "-m", "dlint", *check, str(BAD)], stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert p.returncode == 141
    assert b"Traceback" not in p.stderr and b"Error" not in p.stderr


@pytest.mark.parametrize("options", [[], ["--format", "json", "--jobs", "1"]])
def test_check_leaves_the_cli_and_other_slow_imports_alone(tmp_path, options):
    """Start-up is pre-commit's wait: a check must not import typer, click, pathlib, tomllib or hashlib.

    In a directory with no config file above it: finding one rightly needs tomllib."""
    target = tmp_path / "Dockerfile"
    target.write_bytes(BAD.read_bytes())
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dlint", "check", *options, str(target)],
        capture_output=True, timeout=120,
    )
    assert p.returncode == 1
    assert len(json.loads(p.stdout) if options else p.stdout.decode().splitlines()) == 5
    imported = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.decode().splitlines() if "|" in line}
    assert "dlint.lint.command" in imported and "tree_sitter" in imported
    slow = {"typer", "click", "pathlib", "tomllib", "hashlib", "docker", "tabulate", "importlib.resources"}
    assert not imported & (slow | {"pygls", "lsprotocol", "dlint.lsp"})


def test_typer_check_leaves_the_language_server_alone():
    """Only `dlint lsp` imports pygls: every other command starts without it."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dlint", "check", "--", str(BAD)], capture_output=True, timeout=120
    )
    assert p.returncode == 1 and p.stdout
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
    p = dlint("check", "--max-file-size", "60000000", "--format", "json", str(f))  # over the 1 MB default
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


@pytest.mark.parametrize(("args", "message"), [
    (["check", "Dockerfile", "--x\n::error::pwned.Dockerfile"],
     "dlint: No such option: --x\\x0a::error::pwned.Dockerfile (see python -m dlint check -h)\n"),
    (["analyse", "--nosuch\x1b[2J"], "dlint: No such option: --nosuch\\x1b[2J (see python -m dlint analyse -h)\n"),
    (["nosuch"], "dlint: No such command 'nosuch'. (see python -m dlint -h)\n"),
])
def test_a_usage_error_is_one_line_with_the_argument_escaped_and_exit_2(tmp_path, args, message):
    """A file name is a pull request's to choose: a newline in one must not start a workflow command in the log."""
    p = subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, text=True, cwd=tmp_path,
                       timeout=60, check=False)
    assert (p.returncode, p.stdout, p.stderr) == (2, "", message)
