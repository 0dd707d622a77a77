"""`dlint analyse` with the classic builder on the local busybox image: fast real builds."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
import signal
import subprocess
import sys
import time

import pytest
from analyse_support import FIXTURES, REPO, by_line, dlint, engine_state

pytestmark = pytest.mark.engine

COPY_ORDER = FIXTURES / "copy-order"
APP_COPY_LINE = 10  # COPY app.txt /srv/app.txt


def docker_history_top(image_id: str) -> tuple[str, int]:
    """The newest row of `docker history`: (image id, layer bytes), as the docker CLI shows them."""
    out = subprocess.run(
        [shutil.which("docker") or "docker", "history", "--no-trunc", "--human=false",
         "--format", "{{.ID}}\t{{.Size}}", image_id],
        capture_output=True, text=True, check=True,
    ).stdout
    row_id, size = out.splitlines()[0].split("\t")
    return row_id, int(size)


def test_step_sizes_equal_docker_history_and_add_up_to_the_image(engine, kept_images):
    run = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--no-cache", "--format", "json")
    assert run.returncode == 0, run.stderr
    data = run.data
    kept_images.add(data)
    steps = by_line(data)
    assert [s["index"] for s in data["steps"]] == list(range(1, 11))  # global ARG and both FROMs are steps
    assert steps[4]["size"] == 200_000 and steps[11]["size"] == 200_000  # the dd artifact, then its copy
    for step in data["steps"]:
        if step["instruction"].startswith(("FROM", "ARG")):
            continue
        assert docker_history_top(step["image_id"]) == (step["image_id"], step["size"]), step
    final_stage = [s for s in data["steps"] if s["stage"] == "1"]
    assert sum(s["size"] for s in final_stage) == data["image"]["size"]
    assert data["image"]["layers"] == 6


def test_rebuild_hits_every_step_and_a_touched_file_misses_at_its_copy(engine, kept_images, tmp_path):
    first = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--format", "json")
    assert first.returncode == 0, first.stderr
    kept_images.add(first.data)

    again = dlint("analyse", str(COPY_ORDER / "Dockerfile"))
    assert again.returncode == 0, again.stderr
    rows = [line for line in again.stdout.splitlines() if re.match(r"\s*\d+\s", line)]
    assert len(rows) == 10
    assert all(" HIT " in row and "MISS" not in row for row in rows), again.stdout

    context = tmp_path / "ctx"
    shutil.copytree(COPY_ORDER, context)
    with open(context / "app.txt", "a") as fh:
        fh.write(f"changed {uuid.uuid4()}\n")  # content no earlier run has built
    touched = dlint("analyse", str(context / "Dockerfile"), "--format", "json")
    assert touched.returncode == 0, touched.stderr
    kept_images.add(touched.data)
    misses = [s for s in touched.data["steps"] if not s["cached"]]
    assert misses[0]["line"] == APP_COPY_LINE
    assert misses[0]["instruction"] == "COPY app.txt /srv/app.txt"
    assert [s["line"] for s in misses] == [10, 11, 12]  # everything after it rebuilds too


def new_containers_from(engine, before: frozenset[str], images: set[str]) -> list[str]:
    """Containers made since `before` from one of `images` (this test's): other runs on the engine do not count."""
    short = {i.removeprefix("sha256:")[:12] for i in images}
    return [c["Id"] for c in engine.api.containers(all=True)
            if c["Id"] not in before and c["ImageID"].removeprefix("sha256:")[:12] in short]


def run_images(data: dict) -> set[str]:
    return {s["image_id"] for s in data["steps"] if s["image_id"]} | ({data["image"]["id"]} if data["image"] else set())


def base_id(engine) -> str:
    return engine.api.inspect_image("dlint-test/busybox:latest")["Id"]


def image_exists(engine, image_id: str) -> bool:
    return any(i.removeprefix("sha256:").startswith(image_id.removeprefix("sha256:"))
               for i in engine.api.images(all=True, quiet=True))


def test_a_run_leaves_the_image_and_cache_as_docker_build_does_and_rm_removes_them(engine, kept_images):
    before = engine_state(engine)
    run = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--no-cache", "--format", "json")
    assert run.returncode == 0, run.stderr
    kept_images.add(run.data)
    ours = run_images(run.data)
    assert run.data["image"]["id"] not in before[1]  # it built something new...
    assert all(image_exists(engine, i) for i in ours)  # ...which stays, with its intermediates (the cache)...
    assert engine.api.inspect_image(run.data["image"]["id"])["RepoTags"] in ([], None)  # ...untagged
    assert new_containers_from(engine, before[0], ours | {base_id(engine)}) == []  # probes, builder's

    again = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert all(s["cached"] for s in again.data["steps"]), again.data["steps"]
    assert again.data["image"]["id"] == run.data["image"]["id"]

    removed = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--no-cache", "--rm", "--format", "json")
    assert removed.returncode == 0, removed.stderr
    made = run_images(removed.data) - ours
    assert made and not any(image_exists(engine, i) for i in made)  # --rm: what this run built is gone


def test_failing_build_shows_the_steps_up_to_the_failure_and_exits_3(engine, kept_images, tmp_path):
    before = engine_state(engine)
    report = tmp_path / "report.json"
    run = dlint("analyse", str(FIXTURES / "failing" / "Dockerfile"), "--no-cache", "--format", "text",
                "--format", "json", "--output", str(report))
    assert run.returncode == 3
    assert "dlint: build failed at line 3: The command '/bin/sh -c echo \"about to fail\" && exit 3' " \
           "returned a non-zero code: 3" in run.stderr
    table = run.stdout
    assert "RUN echo one > /one" in table
    assert "FAILED" in table and "never reached" not in table
    assert "about to fail" in table  # the failing step's own output
    # The step that ran stays as its cache (docker build keeps it too); no container is left.
    data = json.loads(report.read_text())
    kept_images.add(data)
    ran = data["steps"][1]["image_id"]
    assert ran and image_exists(engine, ran)
    assert new_containers_from(engine, before[0], run_images(data) | {base_id(engine)}) == []


def test_ctrl_c_stops_the_build_cleans_up_and_exits_130(engine):
    before = engine_state(engine)
    proc = subprocess.Popen([sys.executable, "-m", "dlint", "analyse", str(FIXTURES / "slow" / "Dockerfile"),
                             "--builder", "classic", "--rm"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core CI machine is slow to start a build
        while not any("sleep 60" in c["Command"] for c in engine.api.containers()
                      if c["Id"] not in before[0]):  # this build's RUN is up (not another run's container)
            assert proc.poll() is None, f"dlint ended before the RUN started: {proc.communicate()}"
            assert time.monotonic() < deadline, "the build never started its RUN"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err
    assert engine_state(engine) == before
