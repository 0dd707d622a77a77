"""Runs a composite `action.yml` the way the GitHub Actions runner does, far enough to test ours.

For each `run:` step: `${{ ... }}` expressions of the contexts the action uses
(inputs, github, runner, steps outputs) are substituted, the step's `env` is
set on top of the runner's `GITHUB_*`/`RUNNER_*` variables and `INPUT_*`, the
script runs as `bash --noprofile --norc -eo pipefail {0}`, `$GITHUB_PATH` lines
are prepended to PATH for later steps and `$GITHUB_OUTPUT` becomes the step's
outputs. A failing step stops the job, as on the runner.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(s.returncode != 0 for s in self.steps)


def run_action(action_dir: Path, inputs: dict[str, str], workspace: Path, runner_temp: Path,
               env: dict[str, str] | None = None) -> ActionRun:
    """`env`: more of the runner's environment (what a job's `env:` sets)."""
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    declared = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    values = {name: inputs.get(name, str(spec.get("default", ""))) for name, spec in declared.items()}
    path_file, output_dir = runner_temp / "github_path", runner_temp / "outputs"
    path_file.touch()
    output_dir.mkdir(exist_ok=True)
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(runner_temp)),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_dir),
        "GITHUB_PATH": str(path_file),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        **{f"INPUT_{name.upper().replace(' ', '_')}": value for name, value in values.items()},
        **(env or {}),
    }
    contexts = {"github.action_path": str(action_dir), "github.workspace": str(workspace),
                "runner.temp": str(runner_temp), **{f"inputs.{k}": v for k, v in values.items()}}
    results: list[StepResult] = []
    step_outputs: dict[str, dict[str, str]] = {}

    def evaluate(text: str) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("steps."):
                _, step_id, _, key = name.split(".", 3)
                return step_outputs.get(step_id, {}).get(key, "")
            assert name in contexts, f"expression the harness does not know: {name}"
            return contexts[name]

        return EXPRESSION.sub(value, str(text))

    for index, step in enumerate(action["runs"]["steps"]):
        assert step.get("shell") == "bash", "every run step of a composite action must name its shell"
        output_file = output_dir / f"step{index}"
        output_file.touch()
        extra_path = [line for line in path_file.read_text().splitlines() if line]
        env = {**base_env, "GITHUB_OUTPUT": str(output_file),
               "PATH": os.pathsep.join([*reversed(extra_path), base_env["PATH"]])}
        env.update({k: evaluate(v) for k, v in (step.get("env") or {}).items()})
        script = runner_temp / f"step{index}.sh"
        script.write_text(evaluate(step["run"]))
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=900)
        outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        step_outputs[step.get("id", f"step{index}")] = outputs
        results.append(StepResult(step.get("name", f"step {index}"), proc.returncode, proc.stdout, proc.stderr,
                                  outputs))
        if proc.returncode != 0:
            break
    action_outputs = {name: evaluate(spec["value"]) for name, spec in (action.get("outputs") or {}).items()}
    return ActionRun(results, action_outputs)
