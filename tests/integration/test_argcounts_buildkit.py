"""Every Dockerfile of tests/argcount_cases.py built for real with BuildKit (Debian's /usr/bin/docker, the engine's
built-in dockerfile frontend): it fails exactly when the table says BuildKit refused it, with that message, and
never where dlint reports nothing but the table's own dispatch-time misses; no image or container is left."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from argcount_cases import CASES, TARGETS, dockerfile  # noqa: E402 - tests/ holds the shared helpers
from machine import unavailable  # noqa: E402

from dlint.parsing.dockerfile import parse  # noqa: E402

pytestmark = pytest.mark.engine
DOCKER = "/usr/bin/docker"


def _tag(name: str) -> str:
    return f"dlint-argcheck/{name.lower().replace('_', '-')}:{os.getpid()}"


def _build(root: Path, name: str, text: str) -> tuple[int, str]:
    (root / name).write_text(dockerfile(text), encoding="utf-8")
    # The label makes each case's image its own: two cases that build alike made one image of two tags, built
    # at once, and the engine then kept one tag after both were removed (CI saw one left).
    command = [DOCKER, "build", "--progress=plain", "--no-cache", "-q", "--rm", "-t", _tag(name),
               "--label", f"dlint.argcheck={name}", "-f", str(root / name)]
    if name in TARGETS:
        command += ["--target", TARGETS[name]]
    proc = subprocess.run([*command, str(root / "context")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DOCKER_BUILDKIT": "1"}, check=False)
    return proc.returncode, proc.stderr


def _remove(engine, tags: list[str]) -> None:
    """The tags the builds made, one at a time once every build is done."""
    from docker.errors import ImageNotFound

    for tag in tags:
        try:
            engine.images.remove(tag, force=True)
        except ImageNotFound:  # that build failed: no image
            pass


def test_buildkit_refuses_what_the_table_says(engine, tmp_path):
    if not os.access(DOCKER, os.X_OK):
        unavailable(f"no {DOCKER} (a CLI with BuildKit built in)")
    (tmp_path / "context").mkdir()
    for name in ("a", "b"):
        (tmp_path / "context" / name).write_text("x\n", encoding="utf-8")
    containers = set(engine.containers.list(all=True, ignore_removed=True))
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda case: _build(tmp_path, case[0], case[1]), CASES))
    finally:
        _remove(engine, [_tag(name) for name, *_ in CASES])
    wrong = []
    for (name, text, dlint, buildkit), (returncode, stderr) in zip(CASES, results):
        reported = [e.message for e in parse(dockerfile(text)).errors]
        if (returncode != 0) != (buildkit is not None):
            wrong.append(f"{name}: exit {returncode}, the table says {buildkit!r}: {stderr[-300:]}")
        elif buildkit is not None and buildkit.casefold() not in stderr.casefold():
            wrong.append(f"{name}: {buildkit!r} not in {stderr[-300:]!r}")
        elif reported and returncode == 0:
            wrong.append(f"{name}: built, but dlint reports {reported}")
    assert wrong == []
    assert set(engine.containers.list(all=True, ignore_removed=True)) == containers
    assert not [i for i in engine.images.list() if any(t.startswith("dlint-argcheck/") for t in i.tags)]
