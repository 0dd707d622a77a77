"""ShellCheck on RUN scripts: opt-in, placed on the Dockerfile's own lines, silenced like any rule."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from machine import unavailable

from dlint.lint import shellcheck
from dlint.lint.config import ConfigError, load
from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Finding, Level
from dlint.parsing.dockerfile import parse
from dlint.report import sarif


@pytest.fixture
def shellcheck_on_path() -> None:
    """Skip without shellcheck, unless scripts/test installed it: missing there is a failure."""
    if shutil.which("shellcheck") is None:
        unavailable("no shellcheck on PATH (apt-get install shellcheck)")


needs_shellcheck = pytest.mark.usefixtures("shellcheck_on_path")
ON = dataclasses.replace(Selection.default(), shellcheck=True)


def sc(text: str, selection: Selection = ON) -> list[Finding]:
    found, crashes = lint(parse(text, "Dockerfile"), selection)
    assert not crashes, crashes
    return [f for f in found if f.code.startswith("SC")]


def spans(text: str, found: list[Finding]) -> list[tuple[str, int, str]]:
    """(code, line, the file text the finding covers)."""
    lines = text.splitlines(keepends=True)
    out = []
    for f in found:
        assert f.line == f.end_line, f
        out.append((f.code, f.line, lines[f.line - 1][f.column - 1 : f.end_column - 1]))
    return out


def run_dlint(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    proc = subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


# --- what is checked, and where findings land ---------------------------------------------------


@needs_shellcheck
def test_positions_follow_continuation_lines_and_tabs():
    text = "FROM debian:12\nRUN echo ok && \\\n    cd /tmp && \\\n\techo $foo\n"
    found = sc(text)
    assert spans(text, found) == [("SC2086", 4, "$foo"), ("SC2154", 4, "$foo")]
    assert {f.instruction_line for f in found} == {2}
    assert {f.name for f in found} == {"shellcheck"}
    assert [f.level for f in found] == [Level.INFO, Level.WARNING]  # ShellCheck's own levels


@needs_shellcheck
def test_a_comment_line_inside_a_continuation_is_not_shell():
    """BuildKit drops it before the shell runs; ShellCheck must not see the rest as a comment."""
    text = "FROM debian:12\nRUN true \\\n# a note\n    && echo $later\n"
    assert spans(text, sc(text)) == [("SC2086", 4, "$later"), ("SC2154", 4, "$later")]


@needs_shellcheck
def test_heredoc_script_positions_with_tabs_stripped():
    text = "FROM debian:12\nRUN <<-EOF\n\tset -e\n\tls *.txt\n\tEOF\n"
    assert spans(text, sc(text)) == [("SC2035", 4, "*")]


@needs_shellcheck
def test_heredoc_fed_to_a_command_sits_after_its_command_line():
    text = "FROM debian:12\nRUN cat <<EOT > /etc/motd && echo $one\nhello $two\nEOT\n"
    assert spans(text, sc(text)) == [("SC2086", 2, "$one"), ("SC2154", 2, "$one"), ("SC2154", 3, "$two")]


@needs_shellcheck
def test_the_shell_in_force_picks_the_dialect():
    sh = "FROM debian:12\nRUN [[ -f /x ]] && echo yes\n"
    bash = 'FROM debian:12\nSHELL ["/bin/bash", "-c"]\nRUN [[ -f /x ]] && echo yes\n'
    shebang = 'FROM debian:12\nSHELL ["/bin/bash", "-c"]\nRUN <<EOF\n#!/bin/sh\n[[ -f /x ]] && echo yes\nEOF\n'
    assert [f.code for f in sc(sh)] == ["SC3010"]
    assert sc(bash) == []
    assert [f.code for f in sc(shebang)] == ["SC3010"]


@needs_shellcheck
def test_arg_and_env_names_are_assigned_variables():
    text = (
        "FROM debian:12 AS base\nENV from_base=1\nFROM base\nARG version\nENV home_dir=/x\n"
        'RUN echo "$version" "$home_dir" "$from_base" "$http_proxy" "$later"\nARG later\n'
    )
    assert [(f.code, f.message) for f in sc(text)] == [("SC2154", "later is referenced but not assigned.")]


@needs_shellcheck
def test_exec_form_and_powershell_runs_are_not_shell_scripts():
    text = (
        'FROM debian:12\nRUN ["echo", "$x"]\n'
        'SHELL ["pwsh", "-Command"]\nRUN Write-Host $x ; if ($a) { echo `$b }\n'
    )
    assert sc(text) == []


@needs_shellcheck
def test_onbuild_run_is_checked_and_reported_on_the_onbuild():
    text = "FROM debian:12\n# hadolint ignore=SC2154\nONBUILD RUN echo $x\n"
    found = sc(text)
    assert spans(text, found) == [("SC2086", 3, "$x"), ("SC2154", 3, "$x")]
    assert [f.suppressed is not None for f in found] == [False, True]


# --- opting in, selecting, silencing ------------------------------------------------------------


def test_off_by_default(tmp_path):
    text = "FROM debian:12\nRUN echo $foo\n"
    assert sc(text, Selection.default()) == []
    (tmp_path / "Dockerfile").write_text(text)
    proc = run_dlint("check", "-f", "json", "Dockerfile", cwd=tmp_path)
    assert not [d for d in json.loads(proc.stdout) if d["code"].startswith("SC")]
    assert "shellcheck" not in proc.stderr.lower()


@needs_shellcheck
@pytest.mark.parametrize("tool", ["hadolint", "dlint"])
def test_pragmas_silence_sc_codes_and_are_valid(tool):
    text = f"FROM debian:12\n# {tool} ignore=SC2086,SC2154\nRUN echo $foo\n"
    found, _ = lint(parse(text), ON)
    assert [(f.code, f.suppressed is not None) for f in found] == [("SC2086", True), ("SC2154", True)]  # no DLT100


def test_pragma_validator_still_reports_codes_shellcheck_does_not_have():
    found, _ = lint(parse("FROM debian:12\n# dlint ignore=SC9999\nRUN true\n"), Selection(frozenset({"DLT100"})))
    assert [(f.code, f.line) for f in found] == [("DLT100", 2)]


@needs_shellcheck
def test_config_turns_it_on_and_selects_codes(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo $foo `date`\n")
    (tmp_path / ".dlint.toml").write_text(
        'shellcheck = true\nignore = ["SC2086", "SC20"]\n[levels]\nSC2154 = "error"\n'
    )
    proc = run_dlint("check", "-f", "json", "Dockerfile", cwd=tmp_path)
    sc_found = [(d["code"], d["level"]) for d in json.loads(proc.stdout) if d["code"].startswith("SC")]
    assert sc_found == [("SC2154", "error")]  # SC2086 and SC2006, SC2046 (prefix SC20) ignored
    proc = run_dlint("check", "-f", "json", "--no-shellcheck", "Dockerfile", cwd=tmp_path)
    assert not [d for d in json.loads(proc.stdout) if d["code"].startswith("SC")]
    proc = run_dlint("check", "-f", "json", "--isolated", "--shellcheck", "--select", "SC2006", "Dockerfile",
                     cwd=tmp_path)
    assert [d["code"] for d in json.loads(proc.stdout)] == ["SC2006"]


def test_config_rejects_a_non_boolean_and_unknown_sc_codes(tmp_path):
    bad = tmp_path / ".dlint.toml"
    bad.write_text('shellcheck = "yes"\n')
    with pytest.raises(ConfigError, match=r"shellcheck: expected true or false, got a string 'yes'"):
        load(bad)
    bad.write_text('ignore = ["SC9000"]\n')
    with pytest.raises(ConfigError, match="unknown rule code or prefix 'SC9000'"):
        load(bad)


def test_missing_binary_is_one_warning_and_the_run_goes_on(tmp_path):
    for name in ("a.Dockerfile", "b.Dockerfile"):
        (tmp_path / name).write_text("FROM debian:12\nRUN cd /tmp\n")
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = run_dlint("check", "--shellcheck", "a.Dockerfile", "b.Dockerfile", cwd=tmp_path, path=str(empty))
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert warnings == [f"dlint: warning: {shellcheck.MISSING}"]
    assert "apt-get install shellcheck" in warnings[0]
    assert proc.returncode == 1  # DL3003 in both files still fails the run
    assert proc.stdout.count("DL3003") == 2


def test_a_failing_shellcheck_is_reported_not_ignored(tmp_path, monkeypatch):
    fake = tmp_path / "shellcheck"
    fake.write_text("#!/bin/sh\necho 'shellcheck: unrecognized option' >&2\nexit 4\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shellcheck, "binary", lambda: str(fake))
    _, crashes = lint(parse("FROM debian:12\nRUN echo hi\n"), ON)
    assert [(c.code, c.error) for c in crashes] == [
        ("shellcheck", "shellcheck failed (exit 4): shellcheck: unrecognized option")
    ]


@needs_shellcheck
def test_sarif_describes_sc_codes_by_shellcheck_wiki():
    found = sc("FROM debian:12\nRUN echo $foo\n")
    doc = json.loads(sarif.render(found, ["Dockerfile"]))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules] == [
        "https://www.shellcheck.net/wiki/SC2086", "https://www.shellcheck.net/wiki/SC2154"
    ]
