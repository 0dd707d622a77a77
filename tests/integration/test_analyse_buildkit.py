"""The BuildKit driver agrees with the classic one on steps and cache hits, and fails the same way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid

import pytest
from analyse_support import FIXTURES, REPO, by_line, dlint, engine_state

pytestmark = pytest.mark.engine

COPY_ORDER = FIXTURES / "copy-order"


def warm_then_touched(builder: str, touched_context, kept_images) -> tuple[dict, dict]:
    """A rebuild with no change, then a build with app.txt changed, both after a warming build."""
    results = []
    for context in (COPY_ORDER, COPY_ORDER, touched_context):
        run = dlint("analyse", str(context / "Dockerfile"), "--builder", builder, "--format", "json")
        assert run.returncode == 0, run.stderr
        kept_images.add(run.data)
        results.append(run.data)
    return results[1], results[2]


def test_buildkit_reports_the_classic_steps_and_cache_hits(engine, kept_images, tmp_path):
    touched = tmp_path / "ctx"
    shutil.copytree(COPY_ORDER, touched)
    with open(touched / "app.txt", "a") as fh:
        fh.write(f"changed {uuid.uuid4()}\n")  # never built before: BuildKit's cache outlives images
    classic_warm, classic_touched = warm_then_touched("classic", touched, kept_images)
    buildkit_warm, buildkit_touched = warm_then_touched("buildkit", touched, kept_images)

    classic, buildkit = by_line(classic_touched), by_line(buildkit_touched)
    # BuildKit shows no step for ARG and ENV (they make no layer); every other step is there, same line.
    assert set(buildkit) == {line for line, s in classic.items() if not s["instruction"].startswith(("ARG", "ENV"))}
    for line, step in buildkit.items():
        assert step["instruction"] == classic[line]["instruction"]
        assert step["cached"] == classic[line]["cached"], line
    assert [line for line, s in buildkit.items() if not s["cached"]] == [10, 11, 12]
    assert all(s["cached"] for s in buildkit_warm["steps"])
    # The final stage's layers weigh the same whichever builder made them.
    for line, step in by_line(buildkit_warm).items():
        if step["stage"] == "1":
            assert step["size"] == by_line(classic_warm)[line]["size"], line
    assert buildkit_warm["image"]["size"] == classic_warm["image"]["size"]


def test_buildkit_failing_build_exits_3_and_cleans_up(engine):
    before = engine_state(engine)
    run = dlint("analyse", str(FIXTURES / "failing" / "Dockerfile"), "--builder", "buildkit", "--rm",
                "--format", "json")
    assert run.returncode == 3
    data = run.data
    assert [s["line"] for s in data["steps"]] == [1, 2, 3]
    assert data["steps"][-1]["failed"] and "exit code: 3" in data["error"]
    assert "dlint: build failed at line 3" in run.stderr
    assert engine_state(engine) == before


def test_builder_auto_is_the_default_takes_buildkit_and_falls_back_to_classic_without_a_usable_cli(
        engine, kept_images, tmp_path):
    default = subprocess.run([sys.executable, "-m", "dlint", "analyse", str(COPY_ORDER / "Dockerfile"),
                              "--format", "json"], capture_output=True, text=True, cwd=REPO, check=False)
    assert default.returncode == 0, default.stderr
    kept_images.add(json.loads(default.stdout))
    assert json.loads(default.stdout)["builder"] == "buildkit"  # Debian's /usr/bin/docker 20.10 drives it

    report = tmp_path / "report.json"
    no_cli = dlint("analyse", str(COPY_ORDER / "Dockerfile"), "--builder", "auto", "--format", "text",
                   "--format", "json", "--output", str(report), env={"PATH": str(tmp_path)})
    assert no_cli.returncode == 0, no_cli.stderr
    kept_images.add(json.loads(report.read_text()))
    assert no_cli.stdout.startswith("builder: classic\n")
    assert len(json.loads(report.read_text())["steps"]) == 10  # classic's rows: ARG and ENV are steps too
