"""The release artefacts: sdist and wheel build, pass `twine check`, and the wheel works on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlint import DISTRIBUTION, __version__

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "fixtures" / "check" / "bad.Dockerfile"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    p = run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return out


def test_sdist_and_wheel_pass_twine_check(dist):
    names = sorted(p.name for p in dist.iterdir())
    stem = DISTRIBUTION.replace("-", "_")
    assert names == [f"{stem}-{__version__}-py3-none-any.whl", f"{stem}-{__version__}.tar.gz"]
    p = run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("PASSED") == 2


def test_wheel_carries_the_rule_pages(dist):
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    pages = sorted((ROOT / "rules").glob("*.md"))
    assert all(f"dlint/_rules/{page.name}" in names for page in pages)
    assert "dlint/_rules/index.json" in names


def test_wheel_installed_alone_lints_and_lists_rules(dist, tmp_path):
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    pip = run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              next(dist.glob("*.whl")))
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    dlint = venv / "bin" / "dlint"
    # Run from an empty directory so nothing of the checkout can be imported by accident.
    check = run(dlint, "check", BAD, cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    assert "DL3009" in check.stdout and "Traceback" not in check.stderr
    rules = run(dlint, "rules", cwd=tmp_path)
    assert rules.returncode == 0 and "DL3009" in rules.stdout and "DLT001" in rules.stdout
    page = run(dlint, "explain", "DL3009", cwd=tmp_path)
    assert page.returncode == 0 and "## Why" in page.stdout
    where = run(venv / "bin" / "python", "-c", "import dlint; print(dlint.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(venv))


def test_own_dockerfile_passes_dlint_check_with_the_default_rules():
    p = run(sys.executable, "-m", "dlint", "check", ROOT / "Dockerfile", cwd=ROOT)
    assert (p.returncode, p.stdout) == (0, ""), p.stdout + p.stderr
