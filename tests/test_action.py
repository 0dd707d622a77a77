"""The GitHub Action (`action.yml`), run step by step as the runner would, in a fresh venv each time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from action_runner import run_action

ROOT = Path(__file__).resolve().parents[1]
BAD = (ROOT / "fixtures" / "check" / "bad.Dockerfile").read_text()


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "app").mkdir(parents=True)
    (ws / "app" / "Dockerfile").write_text(BAD)
    (ws / "clean.Dockerfile").write_text("FROM debian:bookworm-slim\n")
    return ws


@pytest.fixture
def runner_temp(tmp_path) -> Path:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return temp


def test_check_writes_sarif_annotates_and_fails_on_findings(workspace, runner_temp):
    run = run_action(ROOT, {}, workspace, runner_temp)
    install, lint = run.steps
    assert install.returncode == 0, install.stderr[-3000:]
    assert (runner_temp / "dlint-venv" / "bin" / "dlint").exists()  # installed from the action's checkout
    assert lint.returncode == 1, lint.stderr
    sarif = json.loads((workspace / "dlint.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0" and len(results) == 5
    annotations = [line for line in lint.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 5 and annotations[0].startswith("::warning file=app/Dockerfile,line=2,col=5,")
    assert run.outputs == {"sarif-file": "dlint.sarif"}


def test_failure_threshold_decides_whether_the_step_fails(workspace, runner_temp):
    run = run_action(ROOT, {"failure-threshold": "error", "format": "json", "paths": "app"}, workspace, runner_temp)
    lint = run.steps[-1]
    assert lint.returncode == 0, lint.stderr
    assert {f["code"] for f in json.loads(lint.stdout)} == {"DL3008", "DL3009", "DLT001", "DLT002", "DLT003"}
    assert run.outputs == {"sarif-file": ""} and not (workspace / "dlint.sarif").exists()


def test_inputs_cannot_inject_shell(workspace, runner_temp):
    hostile = '$(touch pwned1) `touch pwned2` ; touch pwned3 "'
    run = run_action(ROOT, {"paths": hostile, "args": "--select DL3009 ; touch pwned4"}, workspace, runner_temp)
    assert run.steps[-1].returncode == 2  # paths that do not exist, one line each
    assert not list(workspace.glob("pwned*")) and not list(Path.cwd().glob("pwned*"))


@pytest.mark.engine
def test_analyse_mode_gates_on_the_image_size(engine, workspace, runner_temp):
    context = workspace / "image"
    shutil.copytree(ROOT / "fixtures" / "analyse" / "failing", context)
    (context / "Dockerfile").write_text("FROM dlint-test/busybox:latest\nRUN echo one > /one\n")
    inputs = {"mode": "analyse", "dockerfile": "image/Dockerfile", "max-size": "100MB", "args": "--format json"}
    run = run_action(ROOT, inputs, workspace, runner_temp)
    assert run.steps[-1].returncode == 0, run.steps[-1].stderr[-3000:]
    (budget,) = json.loads(run.steps[-1].stdout)["budgets"]
    assert budget["passed"]
    tight = run_action(ROOT, {**inputs, "max-size": "1000"}, workspace, runner_temp)
    assert tight.steps[-1].returncode == 1


def test_analyse_mode_gates_an_archive_without_an_engine(workspace, runner_temp):
    """A build made elsewhere (buildx, kaniko, Buildah) gated on the archive it wrote, with no engine to reach."""
    from tests.test_waste import legacy_save, sample

    image, _ = sample()
    (workspace / "image.tar").write_bytes(legacy_save(image))
    inputs = {"mode": "analyse", "archive": "image.tar", "dockerfile": "clean.Dockerfile", "max-size": "1MB",
              "args": "--format json"}
    no_engine = {"DOCKER_HOST": f"unix://{runner_temp}/no-engine.sock"}
    run = run_action(ROOT, inputs, workspace, runner_temp, env=no_engine)
    assert run.steps[-1].returncode == 0, run.steps[-1].stderr[-3000:]
    (budget,) = json.loads(run.steps[-1].stdout)["budgets"]
    assert budget["passed"]
    tight = run_action(ROOT, {**inputs, "max-size": "1000"}, workspace, runner_temp, env=no_engine)
    assert tight.steps[-1].returncode == 1
