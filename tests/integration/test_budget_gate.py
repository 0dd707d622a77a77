"""Budgets on a real build: over budget exits 1 naming the step, under budget passes, the cache gate names a miss."""

from __future__ import annotations

import shutil

import pytest
from analyse_support import FIXTURES, dlint, engine_state

from dlint.analyse.units import size_text

pytestmark = pytest.mark.engine

BUDGET = FIXTURES.parent / "budget"
DD_STEP = "line 5 RUN dd if=/dev/zero of=/srv/data.bin bs=1000 count=3000 2>/dev/null"


def test_an_image_over_budget_fails_with_exit_1_naming_the_step(engine):
    before = engine_state(engine)
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--max-size", "4MB", "--max-step-size", "1MB",
                "--format", "json", "--rm")
    assert run.returncode == 1, run.stderr
    assert f"dlint: --max-step-size: {DD_STEP} adds 3.0 MB, limit 1 MB\n" in run.stderr
    over = size_text(run.data["image"]["size"] - 4_000_000)
    assert f"over --max-size 4 MB by {over}; biggest step: {DD_STEP} (3.0 MB)" in run.stderr
    verdicts = {v["budget"]: v for v in run.data["budgets"]}
    assert verdicts["max-size"]["passed"] is False and verdicts["max-step-size"]["passed"] is False
    assert verdicts["max-size"]["limit"] == "4 MB (4000000 bytes; MB = 10^6 bytes)"
    assert engine_state(engine) == before


def test_the_same_image_under_budget_passes_and_says_which_unit(engine):
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--max-size", "10MiB", "--max-step-size", "3MiB",
                "--max-layers", "4", "--no-waste", "--rm")
    assert run.returncode == 0, run.stderr
    assert "\nwaste:" not in run.stdout  # --no-waste skips reading the layers
    assert "dlint: budgets: PASS: all 3 budgets met" in run.stderr
    assert "pass --max-size 10 MiB (10485760 bytes; MiB = 2^20 bytes): image 4.8 MiB uncompressed" in run.stdout
    assert "pass --max-step-size 3 MiB (3145728 bytes; MiB = 2^20 bytes): every step is within 3 MiB " \
           "(largest 2.9 MiB)" in run.stdout


def test_a_warm_rebuild_meets_the_cache_gate_and_a_changed_copy_fails_it_naming_the_miss(engine, kept_images,
                                                                                           tmp_path):
    context = tmp_path / "ctx"
    shutil.copytree(BUDGET, context)
    warm = dlint("analyse", str(context / "Dockerfile"), "--format", "json")
    assert warm.returncode == 0, warm.stderr
    kept_images.add(warm.data)
    again = dlint("analyse", str(context / "Dockerfile"), "--min-cache-hit-rate", "1", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert again.data["cache"] == {"hits": 4, "steps": 4, "hit_rate": 1.0, "first_miss_line": None,
                                   "first_miss_instruction": None}
    (context / "app" / "settings.toml").write_text('name = "changed"\n')
    changed = dlint("analyse", str(context / "Dockerfile"), "--min-cache-hit-rate", "0.8", "--rm")
    assert changed.returncode == 1, changed.stderr
    assert ("dlint: --min-cache-hit-rate: cache hit rate 0.25 (1 of 4 steps) is below 0.8; "
            "first miss: line 4 COPY app /srv/app\n") in changed.stderr
