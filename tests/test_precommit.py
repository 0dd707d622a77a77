"""The pre-commit hook, run by the real pre-commit the way a user's repository runs it.

`pre-commit try-repo` only sees committed files plus changes to tracked ones,
so trying this working tree directly would miss files not yet added to git.
The test therefore snapshots the working tree (tracked and untracked, minus
what .gitignore excludes) into a throwaway repository and tries that: it tests
exactly what is on disk, committed or not, and never touches this repository's
git state. pre-commit installs the snapshot into its own virtualenv with pip,
so the test needs PyPI for dlint's dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlint.lint.discovery import is_dockerfile_name

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
FIXTURES = ROOT / "fixtures" / "precommit"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def git(*args: str, cwd: Path) -> str:
    env = os.environ | {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def hook(hook_id: str) -> dict:
    return next(h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == hook_id)


@pytest.mark.parametrize("hook_id", ["dlint", "dlint-fix"])
@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile", "Dockerfile.dev", "app.Dockerfile", "web.dockerfile", "Containerfile", "Containerfile.ci",
        "Dockerfile.dockerignore", "Dockerfile.md", "README.md", "notes.txt", "dockerfile-tools.py", "Makefile",
        # templates and suffixes in another case, which discovery skips and the hook once passed to dlint
        "Dockerfile.j2", "app.Dockerfile.tmpl", "Containerfile.in", "Dockerfile.Jinja2", "Dockerfile.MD",
        "x.Dockerfile.tt",
    ],
)
def test_hook_selects_the_files_dlint_check_would_find(hook_id, name):
    h = hook(hook_id)
    for path in (name, f"sub/dir/{name}"):
        selected = bool(re.search(h["files"], path)) and not re.search(h["exclude"], path)
        assert selected == is_dockerfile_name(name), path


@pytest.mark.parametrize("hook_id", ["dlint", "dlint-fix"])
def test_hook_skips_every_suffix_discovery_skips_in_any_case(hook_id):
    from dlint.lint.discovery import NOT_DOCKERFILE_SUFFIXES, TEMPLATE_SUFFIXES

    h = hook(hook_id)
    for suffix in NOT_DOCKERFILE_SUFFIXES + TEMPLATE_SUFFIXES:
        for name in (f"Dockerfile{suffix}", f"sub/Dockerfile{suffix.upper()}", f"sub/Containerfile.ci{suffix}"):
            assert re.search(h["files"], name) and re.search(h["exclude"], name), name


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    """This working tree as a one-commit git repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    except subprocess.CalledProcessError:
        pytest.skip(f"{ROOT} is not a git checkout: nothing to snapshot for try-repo")
    dest = tmp_path_factory.mktemp("dlint-snapshot")
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():  # tracked files deleted in the working tree are listed too
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


def pre_commit(*args: str, project: Path, home: Path) -> tuple[int, str]:
    env = os.environ | {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    for leaked in ("VIRTUAL_ENV", "PYTHONPATH"):  # the hook must run the dlint pre-commit installed
        env.pop(leaked, None)
    p = subprocess.run([*PRE_COMMIT, *args], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr


def new_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    # the bad file has the name identify does not tag as a dockerfile: the `files` pattern must catch it
    shutil.copy(FIXTURES / "bad.Dockerfile", project / "web.dockerfile")
    shutil.copy(FIXTURES / "good.Dockerfile", project / "Dockerfile")
    (project / "README.md").write_text("not a Dockerfile: RUN apt-get update\n")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    return project


def test_try_repo_fails_on_the_bad_file_and_passes_once_fixed(snapshot, tmp_path):
    project = new_project(tmp_path)
    home = tmp_path / "pre-commit-home"

    code, out = pre_commit("try-repo", str(snapshot), "dlint", "--all-files", project=project, home=home)
    assert code == 1, out
    assert re.search(r"^dlint\.+Failed$", out, re.M), out
    assert "web.dockerfile:2:5: DLT001" in out
    assert "README.md" not in out

    shutil.copy(FIXTURES / "good.Dockerfile", project / "web.dockerfile")
    git("add", "-A", cwd=project)
    code, out = pre_commit("try-repo", str(snapshot), "dlint", "--all-files", project=project, home=home)
    assert code == 0, out
    assert re.search(r"^dlint\.+Passed$", out, re.M), out


def test_fix_hook_fixes_the_file(snapshot, tmp_path):
    """Run from a .pre-commit-config.yaml, the way users install hooks."""
    project = new_project(tmp_path)
    rev = git("rev-parse", "HEAD", cwd=snapshot).strip()
    config = f"repos:\n  - repo: {snapshot}\n    rev: {rev}\n    hooks:\n      - id: dlint-fix\n"
    (project / ".pre-commit-config.yaml").write_text(config)
    code, out = pre_commit("run", "--all-files", project=project, home=tmp_path / "home")
    assert code == 1 and "files were modified by this hook" in out, out  # pre-commit's rule for fixers
    fixed = (project / "web.dockerfile").read_text()
    assert "RUN apt-get update && apt-get install" in fixed
    assert fixed.count("RUN") == 1
    code, out = pre_commit("run", "--all-files", project=project, home=tmp_path / "home")
    assert code == 0 and re.search(r"^dlint \(fix\)\.+Passed$", out, re.M), out
