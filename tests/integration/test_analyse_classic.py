"""`dlint analyse` with the classic builder on the local busybox image: fast real builds."""

from __future__ import annotations

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
    run = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--keep", "--no-cache", "--format", "json")
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
    first = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--keep", "--format", "json")
    assert first.returncode == 0, first.stderr
    kept_images.add(first.data)

    again = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--keep")
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
    misses = [s for s in touched.data["steps"] if not s["cached"]]
    assert misses[0]["line"] == APP_COPY_LINE
    assert misses[0]["instruction"] == "COPY app.txt /srv/app.txt"
    assert [s["line"] for s in misses] == [10, 11, 12]  # everything after it rebuilds too


def test_a_run_leaves_the_engine_as_it_found_it(engine):
    before = engine_state(engine)
    run = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--no-cache", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert run.data["image"]["id"] not in before[1]  # it did build something new...
    assert engine_state(engine) == before  # ...and removed it, with every intermediate image and container


def test_failing_build_shows_the_steps_up_to_the_failure_and_exits_3(engine):
    before = engine_state(engine)
    run = dlint("analyse", str(FIXTURES / "failing" / "Dockerfile"))
    assert run.returncode == 3
    assert "dlint: build failed at line 3: The command '/bin/sh -c echo \"about to fail\" && exit 3' " \
           "returned a non-zero code: 3" in run.stderr
    table = run.stdout
    assert "RUN echo one > /one" in table
    assert "FAILED" in table and "never reached" not in table
    assert "about to fail" in table  # the failing step's own output
    assert engine_state(engine) == before


def test_ctrl_c_stops_the_build_cleans_up_and_exits_130(engine):
    before = engine_state(engine)
    proc = subprocess.Popen([sys.executable, "-m", "dlint", "analyse", str(FIXTURES / "slow" / "Dockerfile")],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (engine_state(engine)[0] - before[0]):  # the RUN's container is up
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
