"""Real builds of fixtures/buildlog by Docker classic, Docker BuildKit and Podman: their logs, read with
`--build-log`, give the right HIT/MISS per step; and `dlint analyse` against Podman's Docker-compatible API
gives the steps, cache states, waste and findings it gives against Docker Engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from analyse_support import REPO, by_line, dlint
from machine import unavailable

pytestmark = pytest.mark.engine

FIXTURE = REPO / "fixtures" / "buildlog"
DOCKERFILE = str(FIXTURE / "Dockerfile")
FROM_LINES = {1, 4}
ALL_LINES = {1, 2, 4, 5, 6, 7, 8, 9}
BASE = "dlint-test/busybox:latest"


def run(argv: list[str], log: Path | None = None, env: dict | None = None) -> None:
    with open(log, "wb") if log else open(os.devnull, "wb") as out:
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False,
                              env={**os.environ, **(env or {})})
    assert proc.returncode == 0, (argv, log.read_text(errors="replace") if log else "")


def cache_states(archive: Path, log: Path) -> dict[int, str]:
    result = dlint("analyse", "--archive", str(archive), "--build-log", str(log), "--format", "json", DOCKERFILE)
    assert result.returncode == 0, result.stderr
    return {line: "?" if step["cached"] is None else "HIT" if step["cached"] else "MISS"
            for line, step in by_line(result.data).items()}


def cold_then_warm(tmp_path: Path, build: list[str], save: list[str], env: dict | None = None,
                   created: list[str] | None = None) -> tuple[dict[int, str], dict[int, str]]:
    """Build with --no-cache, then again; save the image; each log read back through --build-log.

    The images made go to `created`; without it the final one is removed with `docker rmi` (which takes
    the classic builder's untagged step images with it).
    """
    iid = tmp_path / "iid"
    # app.txt made unique: the warm build can only hit the cold one's steps after it, never an older build's.
    context = tmp_path / "context"
    shutil.copytree(FIXTURE, context)
    with open(context / "app.txt", "a") as fh:
        fh.write(f"{uuid.uuid4()}\n")
    try:
        run([*build, "--no-cache", "--iidfile", str(iid), str(context)], tmp_path / "cold.log", env)
        run([*build, "--iidfile", str(iid), str(context)], tmp_path / "warm.log", env)
        run([*save, "-o", str(tmp_path / "image.tar"), iid.read_text().strip()])
        return (cache_states(tmp_path / "image.tar", tmp_path / "cold.log"),
                cache_states(tmp_path / "image.tar", tmp_path / "warm.log"))
    finally:
        if created is not None:  # Podman keeps a `<none>` image per step: the log names them
            for log in (tmp_path / "cold.log", tmp_path / "warm.log"):
                if log.exists():
                    created.extend(re.findall(r"^--> ([0-9a-f]{11,64})$", log.read_text(errors="replace"), re.M))
        elif iid.exists():
            subprocess.run(["docker", "rmi", iid.read_text().strip()], capture_output=True, timeout=120, check=False)


def test_classic_log_cold_then_warm(engine, tmp_path):
    cold, warm = cold_then_warm(tmp_path, ["docker", "build"], ["docker", "save"], {"DOCKER_BUILDKIT": "0"})
    assert cold == {line: "HIT" if line in FROM_LINES else "MISS" for line in ALL_LINES}
    assert warm == dict.fromkeys(ALL_LINES, "HIT")


def test_buildkit_plain_log_cold_then_warm(engine, tmp_path):
    if not os.access("/usr/bin/docker", os.X_OK):
        unavailable("no /usr/bin/docker (a CLI with BuildKit built in)")
    cold, warm = cold_then_warm(tmp_path, ["/usr/bin/docker", "build", "--progress=plain"], ["docker", "save"],
                                {"DOCKER_BUILDKIT": "1"})
    layer_steps = {2, 6, 7, 8, 9}
    assert set(cold) == set(warm) == FROM_LINES | layer_steps | {5}
    assert cold[5] == warm[5] == "?"  # BuildKit shows no vertex for ENV: the image's row keeps its unknown state
    # --no-cache: every RUN and COPY runs (BuildKit 0.8 may still take the WORKDIR from its cache)
    assert {line: cold[line] for line in (1, 2, 4, 7, 8, 9)} == {1: "HIT", 2: "MISS", 4: "HIT", 7: "MISS",
                                                                  8: "MISS", 9: "MISS"}
    assert set(warm.values()) == {"HIT", "?"}


@dataclass
class Podman:
    host: str  # DOCKER_HOST of the service this test started
    created: list[str]  # images the tests built there: removed at the end, newest first

    def keep(self, data: dict) -> None:
        self.created.extend(s["image_id"] for s in data["steps"] if s["image_id"] and not s["instruction"].startswith("FROM"))


@pytest.fixture(scope="module")
def podman(engine, tmp_path_factory) -> Iterator[Podman]:
    """`podman system service` on a socket in a directory the test owns, the base image loaded from Docker's;
    stopped (and the images dlint built removed) whatever the tests did."""
    binary = shutil.which("podman")
    if binary is None:
        unavailable("podman is not installed (scripts/test installs it)")
    loaded = subprocess.run([binary, "load"], input=b"".join(engine.api.get_image(BASE)), capture_output=True,
                            timeout=300, check=False)
    if loaded.returncode != 0:
        unavailable(f"podman cannot load {BASE}: {loaded.stderr.decode(errors='replace').strip()[-300:]}")
    socket = tmp_path_factory.mktemp("podman") / "podman.sock"
    service = subprocess.Popen([binary, "system", "service", "--time=0", f"unix://{socket}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not socket.exists() and service.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not socket.exists():
            service.kill()
            unavailable(f"podman system service did not start: {service.communicate()[1].decode(errors='replace')}")
        podman = Podman(f"unix://{socket}", [])
        yield podman
    finally:
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        for image in reversed(podman.created):  # children first: a parent with children stays
            subprocess.run([binary, "rmi", "--force", image], capture_output=True, timeout=120, check=False)


@pytest.mark.podman
def test_podman_api_gives_the_docker_engine_analysis(engine, podman, kept_images):
    on_podman = [dlint("analyse", DOCKERFILE, "--builder", "auto", *flags, "--format", "json",
                       env={"DOCKER_HOST": podman.host}) for flags in (("--no-cache",), ())]
    for result in on_podman:
        assert result.returncode == 0, result.stderr
        podman.keep(result.data)
    cold, warm = (r.data for r in on_podman)
    docker = dlint("analyse", DOCKERFILE, "--builder", "classic", "--no-cache", "--format", "json")
    assert docker.returncode == 0, docker.stderr
    kept_images.add(docker.data)
    reference = docker.data

    assert cold["builder"] == "podman"
    assert {line: s["cached"] for line, s in by_line(cold).items()} == {line: line in FROM_LINES for line in ALL_LINES}
    assert all(s["cached"] for s in warm["steps"])  # a second analyse hits Podman's cache
    ours, theirs = by_line(cold), by_line(reference)
    assert {line: (s["instruction"], s["cached"]) for line, s in ours.items()} == {
        line: (s["instruction"], s["cached"]) for line, s in theirs.items()}
    for line, step in ours.items():
        # Podman's history sizes a layer as its tar stream (512-byte headers and blocks), Docker by content bytes.
        assert theirs[line]["size"] <= step["size"] <= theirs[line]["size"] + 160 * 1024, line
        assert (step["size"] == 0) == (theirs[line]["size"] == 0), line
    assert cold["waste"] == reference["waste"]  # both from the layers' contents: byte for byte the same
    assert cold["image"]["stored_bytes"] == reference["image"]["stored_bytes"]
    assert [(f["code"], f["line"]) for f in cold["findings"]] == [(f["code"], f["line"]) for f in reference["findings"]]


@pytest.mark.podman
def test_podman_build_log_cold_then_warm(podman, tmp_path):
    cold, warm = cold_then_warm(tmp_path, ["podman", "build"], ["podman", "save"], created=podman.created)
    assert cold == {line: "HIT" if line in FROM_LINES else "MISS" for line in ALL_LINES}
    assert warm == dict.fromkeys(ALL_LINES, "HIT")
