"""Inline pragmas as a user writes them: what they silence, where, and what a typo does."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_cli_check import dlint

from dlint.lint.engine import Selection, lint
from dlint.parsing.dockerfile import parse

APT_ALONE = "RUN apt-get update\n"  # DLT001, and DL3009 in a stage that ships


def findings(text: str, *codes: str, inline_ignores: bool = True):
    selection = Selection(frozenset(codes or ("DLT001", "DL3009", "DLT100")), inline_ignores=inline_ignores)
    found, crashes = lint(parse(text, "Dockerfile"), selection)
    assert not crashes
    return found


def shown(text: str, *codes: str) -> list[tuple[int, str]]:
    """(line, code) of what the user sees: suppressed findings left out."""
    return [(f.line, f.code) for f in findings(text, *codes) if not f.suppressed]


def test_ignore_silences_listed_codes_on_the_next_instruction_only():
    text = (
        "FROM debian:bookworm-slim\n"
        "# dlint ignore=DLT001\n"
        + APT_ALONE
        + APT_ALONE
    )
    assert shown(text, "DLT001", "DL3009") == [(3, "DL3009"), (4, "DL3009"), (4, "DLT001")]


def test_ignore_anywhere_in_the_comment_block_with_a_reason():
    text = (
        "FROM debian:bookworm-slim\n"
        "# dlint ignore=DLT001, DL3009 # lists are used by the next stage\n"
        "# (a second comment line)\n"
        "\n"
        + APT_ALONE
    )
    found = findings(text, "DLT001", "DL3009")
    assert {f.code for f in found} == {"DLT001", "DL3009"}
    assert all(f.suppressed == "lists are used by the next stage" for f in found)


def test_global_ignore_anywhere_silences_the_whole_file():
    text = "FROM debian:bookworm-slim\n" + APT_ALONE + "FROM debian:bookworm-slim\n" + APT_ALONE + "# dlint global ignore=DLT001\n"
    assert shown(text, "DLT001") == []
    found = findings(text, "DLT001")
    assert len(found) == 2 and all(f.suppressed.startswith("# dlint global ignore=DLT001") for f in found)


def test_stage_ignore_above_from_silences_that_stage_only():
    text = (
        "# dlint stage ignore=DLT001\n"
        "FROM debian:bookworm-slim AS build\n"
        + APT_ALONE
        + "FROM debian:bookworm-slim\n"
        + APT_ALONE
    )
    assert shown(text, "DLT001") == [(5, "DLT001")]


@pytest.mark.parametrize(
    "pragma,line",
    [
        ("# hadolint ignore=DLT001", 2),
        ("# hadolint global ignore=DLT001", 1),
        ("# hadolint stage ignore=DLT001", 1),
    ],
)
def test_hadolint_pragmas_are_honoured(pragma, line):
    lines = ["FROM debian:bookworm-slim", APT_ALONE.strip()]
    lines.insert(line - 1, pragma)
    assert shown("\n".join(lines) + "\n", "DLT001") == []


@pytest.mark.parametrize(
    "pragma,column,needle",
    [
        ("# dlint ignore=DLT001,DL3090", 23, "unknown rule code DL3090"),
        ("# hadolint ignore=DLT01", 19, "unknown rule code DLT01"),
        ("# dlint: ignore DLT001", 1, "does not parse"),
        ("# DLINT ignore=DLT001", 1, "does not parse"),
    ],
)
def test_a_pragma_typo_is_reported_where_it_was_made(pragma, column, needle):
    text = f"FROM debian:bookworm-slim\n{pragma}\n{APT_ALONE}"
    bad = [f for f in findings(text) if f.code == "DLT100"]
    assert len(bad) == 1
    assert (bad[0].line, bad[0].column) == (2, column)
    assert needle in bad[0].message


def test_a_pragma_of_50000_unknown_codes_is_no_hang():
    """Each code's column was found by a search of the whole line: quadratic, over ten minutes for 100,000."""
    pragma = "# dlint ignore=" + ",".join(f"XX{i}" for i in range(50_000))
    proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--isolated", "--select", "DLT100", "-f", "gnu",
                           "-"], input=f"{pragma}\nFROM alpine:3.19\n".encode(), capture_output=True, timeout=20,
                          check=False)
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 50_000, proc.stderr
    assert lines[-1].startswith("-:1:") and "XX49999" in lines[-1]
    column = int(lines[-1].split(":")[2])
    assert pragma[column - 1 : column - 1 + len("XX49999")] == "XX49999"


def test_hadolint_codes_dlint_lacks_are_left_to_hadolint():
    text = "# hadolint global ignore=SC2086\nFROM debian:bookworm-slim\n# hadolint ignore=SC2046,DLT001\n" + APT_ALONE
    assert shown(text) == [(4, "DL3009")]


@pytest.mark.parametrize(
    "text,expected",
    [
        # inside a RUN's continuation lines: BuildKit drops the comment, nothing follows it
        ("FROM debian:bookworm-slim\nRUN apt-get update \\\n# dlint ignore=DLT001\n && true\n",
         [(2, "DL3009"), (2, "DLT001"), (3, "DLT100")]),
        # after the last instruction
        ("FROM debian:bookworm-slim\n" + APT_ALONE + "# dlint ignore=DLT001\n",
         [(2, "DL3009"), (2, "DLT001"), (3, "DLT100")]),
        # stage ignore above something that is not a FROM
        ("FROM debian:bookworm-slim\n# dlint stage ignore=DLT001\n" + APT_ALONE,
         [(2, "DLT100"), (3, "DL3009"), (3, "DLT001")]),
    ],
)
def test_misplaced_pragmas_are_reported_and_silence_nothing(text, expected):
    assert shown(text) == expected
    assert [f for f in findings(text) if f.suppressed] == []


def test_pragma_text_inside_a_heredoc_body_is_not_a_pragma():
    text = (
        "FROM debian:bookworm-slim\n"
        "COPY <<EOF /etc/notes\n"
        "# dlint global ignore=DLT001\n"
        "EOF\n"
        + APT_ALONE
    )
    assert shown(text) == [(5, "DL3009"), (5, "DLT001")]


def test_no_inline_ignores_makes_pragmas_inert():
    text = "# dlint global ignore=DLT001\nFROM debian:bookworm-slim\n" + APT_ALONE
    assert [f.suppressed for f in findings(text, "DLT001", inline_ignores=False)] == [None]


@pytest.mark.parametrize(
    "text,reported",
    [
        # hadolint's documented use: a non-POSIX default shell for the whole file
        ("# hadolint shell=powershell\nFROM mcr.microsoft.com/powershell\n" + APT_ALONE, False),
        # a SHELL written after the pragma is the newer fact
        ('# hadolint shell=pwsh\nFROM debian:bookworm-slim\nSHELL ["/bin/sh", "-c"]\n' + APT_ALONE, True),
        ('# dlint shell=pwsh\nFROM debian:bookworm-slim\nSHELL ["/bin/bash", "-c"]\n' + APT_ALONE, True),
        # inside a stage: from there to the end of that stage only
        ("FROM debian:bookworm-slim\n" + APT_ALONE + "# dlint shell=powershell\n" + APT_ALONE, True),
        ("FROM debian:bookworm-slim\n# dlint shell=powershell\n" + APT_ALONE, False),
        ("FROM debian AS a\n# dlint shell=powershell\nRUN x\nFROM debian\n" + APT_ALONE, True),
        ("# dlint shell=/bin/bash\nFROM debian:bookworm-slim\n" + APT_ALONE, True),
    ],
)
def test_shell_pragma_sets_the_shell_the_shell_rules_assume(text, reported):
    assert any(f.code == "DLT001" for f in findings(text, "DLT001")) is reported


def test_shell_pragma_only_reaches_the_runs_after_it():
    text = "FROM debian:bookworm-slim\n" + APT_ALONE + "# dlint shell=powershell\n" + APT_ALONE
    assert shown(text, "DLT001") == [(2, "DLT001")]


def test_cli_suppressed_findings_neither_show_nor_fail(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_text("# dlint global ignore=DLT001,DL3009 # audited\nFROM debian:bookworm-slim\n" + APT_ALONE)
    p = dlint("check", "--select", "DLT001,DL3009", str(f))
    assert p.returncode == 0, p.stdout
    assert p.stdout == b""
    assert "2 suppressed" in p.stderr.decode()
    p = dlint("check", "--select", "DLT001,DL3009", "--format", "json", "--no-inline-ignores", str(f))
    assert p.returncode == 1
    assert sorted(d["code"] for d in json.loads(p.stdout)) == ["DL3009", "DLT001"]
