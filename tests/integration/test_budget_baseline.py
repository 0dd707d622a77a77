"""Baselines on real builds: a COPY that grew by 5 MB is named; a missing or broken baseline is an error."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET

import pytest
from analyse_support import FIXTURES, dlint, engine_state

BUDGET = FIXTURES.parent / "budget"


@pytest.mark.engine
def test_adding_5_mb_to_a_copy_names_that_copy_against_the_baseline(engine, tmp_path):
    before = engine_state(engine)
    context, baseline = tmp_path / "ctx", tmp_path / "baseline.json"
    shutil.copytree(BUDGET, context)
    saved = dlint("analyse", str(context / "Dockerfile"), "--save-baseline", str(baseline), "--rm")
    assert saved.returncode == 0, saved.stderr
    (context / "app" / "assets.bin").write_bytes(os.urandom(5_000_000))

    summary, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
    run = dlint("analyse", str(context / "Dockerfile"), "--baseline", str(baseline), "--max-growth", "1MB",
                "--format", "markdown", "--output", str(summary), "--format", "junit", "--output", str(junit),
                "--format", "json", "--rm")
    assert run.returncode == 1, run.stderr
    grew = "line 4 COPY app /srv/app grew by 5.0 MB, limit 1 MB"
    assert f"dlint: --max-growth: {grew}; in total the image grew by 5.0 MB\n" in run.stderr
    base_size = json.loads(baseline.read_text())["image"]["size"]
    assert run.data["baseline"]["change"] == run.data["image"]["size"] - base_size
    changes = {s["instruction"]: s["change"] for s in run.data["baseline"]["steps"]}
    assert list(changes) == ["COPY app /srv/app"] and 5_000_000 <= changes["COPY app /srv/app"] < 5_010_000
    assert summary.read_text().startswith("## dlint analyse `")
    assert grew in summary.read_text()
    case = ET.parse(junit).find(".//testcase[@name='--max-growth 1 MB']")
    assert case is not None and case.find("failure").get("message").startswith(grew)

    unchanged_limit = dlint("analyse", str(context / "Dockerfile"), "--baseline", str(baseline), "--max-growth", "20MB", "--rm")
    assert unchanged_limit.returncode == 0, unchanged_limit.stderr
    assert engine_state(engine) == before


def test_a_missing_or_malformed_baseline_exits_2_before_building(tmp_path):
    missing = tmp_path / "none.json"
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--baseline", str(missing), "--max-growth", "5%")
    assert (run.returncode, run.stderr) == (
        2, f"dlint: baseline {missing}: no such file (write one with --save-baseline {missing})\n")
    broken = tmp_path / "broken.json"
    broken.write_text('{"image": null, "steps": []}')
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--baseline", str(broken))
    assert run.returncode == 2 and "has no image.size" in run.stderr and "Traceback" not in run.stderr
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--max-growth", "5%")
    assert (run.returncode, run.stderr) == (
        2, "dlint: --max-growth needs --baseline FILE (a JSON report saved with --save-baseline)\n")
    run = dlint("analyse", str(BUDGET / "Dockerfile"), "--max-size", "200M")
    assert run.returncode == 2 and "write e.g. 200MB (10^6 bytes), 200MiB (2^20 bytes)" in run.stderr
