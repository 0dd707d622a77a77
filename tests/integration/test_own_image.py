"""dlint's own image, built from the repository's Dockerfile on the local Debian base, used as hadolint's is."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid

import pytest
from analyse_support import REPO, dlint

pytestmark = pytest.mark.engine

BUDGET = "200MB"  # the README states it: the image, uncompressed, with Debian's python3
BAD = REPO / "fixtures" / "check" / "bad.Dockerfile"


@pytest.fixture(scope="module")
def image(engine, tmp_path_factory):
    """Built once by `dlint analyse --max-size` (so the budget is dlint's own gate), removed afterwards.

    Nothing can be pulled here, so the wheels pip needs (dlint's dependencies and hatchling to build it)
    go into the context, and the build installs from them alone."""
    context = tmp_path_factory.mktemp("own-image")
    for name in ("pyproject.toml", "README.md", "Dockerfile", ".dockerignore"):
        shutil.copy2(REPO / name, context / name)
    for tree in ("dlint", "rules"):
        shutil.copytree(REPO / tree, context / tree, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(context / "wheels"), str(context),
         "hatchling"],
        capture_output=True, text=True, timeout=600,
    )
    assert wheels.returncode == 0, wheels.stderr[-3000:]
    tag = f"dlint-test/self:{uuid.uuid4().hex[:12]}"
    run = dlint(
        "analyse", str(context / "Dockerfile"), "--tag", tag, "--no-waste", "--format", "json",
        "--build-arg", "BASE=debian:bookworm-slim",
        "--build-arg", "PIP_INSTALL_OPTIONS=--no-index --find-links /src/wheels",
        "--max-size", BUDGET, timeout=900,
    )
    try:
        yield tag, run
    finally:
        if engine.images.list(name=tag):
            engine.images.remove(tag, force=True)


def docker_run(tag: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    docker = shutil.which("docker", path="/usr/bin") or "docker"
    return subprocess.run([docker, "run", "--rm", "-i", tag, *args], input=stdin, capture_output=True, timeout=120)


def test_image_builds_within_its_size_budget(image):
    tag, run = image
    assert run.returncode == 0, run.stderr[-3000:]
    (budget,) = run.data["budgets"]
    assert budget["passed"] and budget["limit"].startswith("200 MB")
    assert 0 < run.data["image"]["size"] <= 200_000_000
    print(f"own image: {run.data['image']['size']} bytes")


def test_check_from_stdin_like_hadolints_image(image):
    tag, run = image
    p = docker_run(tag, "check", "-", stdin=BAD.read_bytes())
    assert p.returncode == 1, p.stderr
    assert p.stdout.decode().startswith("-:2:5: DL3009 [warning] ")
    default = docker_run(tag, stdin=BAD.read_bytes())  # CMD is `check -`
    assert (default.returncode, default.stdout) == (1, p.stdout)


def test_image_runs_as_a_non_root_user(engine, image):
    tag, _ = image
    assert engine.images.get(tag).attrs["Config"]["User"] == "10001"
    version = docker_run(tag, "--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("dlint ")
