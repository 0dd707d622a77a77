"""Hostile input and output around `dlint check`: empty flags, control characters, planted
symlinks, special files, closed and full standard streams. Each input is made here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLEAN = b"FROM debian:bookworm-slim\nCMD [\"true\"]\n"


def dlint(*args: str, stdin=None, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "dlint", *args], stdin=stdin, capture_output="stdout" not in kw, cwd=cwd, timeout=60, **kw
    )
    if proc.stderr is not None:
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


@pytest.mark.parametrize("value", ["", ",,,", " , "])
def test_empty_select_is_a_usage_error(tmp_path, value):
    (tmp_path / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", "--isolated", "--select", value, str(tmp_path / "Dockerfile"))
    assert p.returncode == 2
    assert p.stderr.decode() == "dlint: --select: no rule codes given (ALL selects every rule)\n"
    assert p.stdout == b""


def test_empty_ignore_still_allowed(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", "--isolated", "--ignore", "", str(tmp_path / "Dockerfile"))
    assert p.returncode == 0, p.stderr
