"""BuildKit through the docker CLI's plain progress output -> step records.

The SDK cannot drive BuildKit (docker-py#2230), so this runs
`DOCKER_BUILDKIT=1 docker build --progress=plain` (or `docker buildx build`
with the same plain output where the buildx plugin is installed) and parses:

    #6 [stage-1 2/3] COPY app.txt /srv/app.txt    <- a step: stage name (absent for a single stage), i/n
    #6 CACHED | #6 DONE 0.3s | #6 ERROR: ...      <- how it ended
    #6 0.372 some output                          <- the step's output

Vertices finish out of file order (stages run in parallel), so steps are keyed
by `[stage i/n]`: the i-th of the stage's FROM (only when it names an image),
RUN, COPY, ADD and WORKDIR instructions, the ones BuildKit makes operations of.

Which CLI: the first `docker` on PATH that can drive BuildKit, meaning one
with the buildx plugin or one older than 23.0 (those have BuildKit built in).
Newer CLIs without buildx refuse DOCKER_BUILDKIT=1; on Debian 12 machines that
carry a newer CLI in /usr/local/bin, this picks Debian's /usr/bin/docker.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from dlint.analyse.engine import Tracker
from dlint.analyse.steps import BuildOutcome, BuildRequest, Observer, StepRecord, stage_named, step_for
from dlint.model import Dockerfile, Instruction, Stage

VERTEX = re.compile(r"^#(\d+) (.*)$")
STEP = re.compile(r"^\[(?:(\S+) )?(\d+)/(\d+)\] (.*)$")
DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
OUTPUT = re.compile(r"^\d+(?:\.\d+)? (.*)$")
LAYER_OPS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})
REFUSAL = "BuildKit is enabled but the buildx component is missing or broken"
LOG_LINES = 20


class BuilderUnavailable(Exception):
    """No docker CLI here can drive BuildKit: the message is the one line the user sees."""


@dataclass(frozen=True, slots=True)
class Cli:
    path: str
    version: str
    buildx: bool

    def build_command(self) -> list[str]:
        return [self.path, "buildx", "build", "--load"] if self.buildx else [self.path, "build"]


def find_cli() -> Cli:
    seen: list[Cli] = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        path = shutil.which("docker", path=directory or ".")
        if not path or any(os.path.realpath(c.path) == os.path.realpath(path) for c in seen):
            continue
        cli = Cli(path, _client_version(path), _run_ok([path, "buildx", "version"]))
        if cli.buildx or _major(cli.version) < 23:
            return cli
        seen.append(cli)
    if not seen:
        raise BuilderUnavailable("no `docker` CLI on PATH: the buildkit builder needs one (or use --builder classic)")
    first = seen[0]
    raise BuilderUnavailable(
        f"{first.path} (Docker CLI {first.version}) refuses DOCKER_BUILDKIT=1 without the buildx plugin: "
        "install docker-buildx, or use --builder classic"
    )


def _client_version(path: str) -> str:
    # Prints the client version even when no engine answers (then it also exits 1).
    proc = subprocess.run([path, "version", "--format", "{{.Client.Version}}"],
                          capture_output=True, text=True, timeout=30, check=False)
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else "unknown"


def _run_ok(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0


def _major(version: str) -> int:
    m = re.match(r"\d+", version)
    return int(m[0]) if m else 0


def build(cli: Cli, request: BuildRequest, df: Dockerfile, observer: Observer, tracker: Tracker) -> BuildOutcome:
    with tempfile.TemporaryDirectory(prefix="dlint-") as tmp:
        iidfile = Path(tmp) / "iid"
        argv = [*cli.build_command(), "--progress=plain", "--iidfile", str(iidfile), "-f", str(request.dockerfile)]
        if request.tag:
            argv += ["-t", request.tag]
        if request.target:
            argv += ["--target", request.target]
        if request.no_cache:
            argv.append("--no-cache")
        for key, value in request.build_args.items():
            argv += ["--build-arg", f"{key}={value}"]
        argv.append(str(request.context))
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors="replace", env=env)
        reader = ProgressReader(df, request.target, observer)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                reader.line(line.rstrip("\n"))
            returncode = proc.wait()
        except BaseException:
            # Ctrl-C reached the CLI too (same process group): let it cancel the build, then go.
            _stop(proc)
            raise
        if reader.refused:
            raise BuilderUnavailable(f"{cli.path} (Docker CLI {cli.version}) refuses DOCKER_BUILDKIT=1: {REFUSAL}")
        outcome = reader.outcome(returncode)
        if outcome.error is None:
            outcome.image_id = iidfile.read_text().strip() or None
            if outcome.image_id:
                tracker.image(outcome.image_id)
        return outcome


def _stop(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ProgressReader:
    """Plain progress lines -> step records, in Dockerfile order at the end."""

    def __init__(self, df: Dockerfile, target: str | None, observer: Observer) -> None:
        self.df = df
        self.target = target
        self.observer = observer
        self.vertices: dict[int, StepRecord] = {}
        self.started: dict[int, float] = {}
        self.logs: dict[int, deque[str]] = {}
        self.other: list[str] = []  # lines outside any vertex: the error summary ends up here
        self.refused = False
        self.failed_vertex: int | None = None
        self.from_counted: set[int] = set()  # stages whose `i/n` numbering includes their FROM

    def line(self, line: str) -> None:
        m = VERTEX.match(line)
        if not m:
            if REFUSAL in line:
                self.refused = True
            if line.strip():
                self.other.append(line)
            return
        num, rest = int(m[1]), m[2]
        step = self.vertices.get(num)
        if step is None:
            header = STEP.match(rest)
            if header and num not in self.started:
                self._start(num, header)
            return
        if rest == "CACHED":
            step.cached = True
            self._finish(num)
        elif done := DONE.match(rest):
            step.seconds = float(done[1])
            self._finish(num)
        elif rest.startswith("ERROR"):
            step.failed = True
            self.failed_vertex = num
            self._finish(num)
        elif out := OUTPUT.match(rest):
            self.logs[num].append(out[1])

    def _start(self, num: int, header: re.Match) -> None:
        stage_name, i, n, text = header[1], int(header[2]), int(header[3]), header[4]
        instr = self._locate(stage_name, i, n, text)
        if instr is not None:
            step = step_for(self.df, instr)
        else:  # dlint's parser and BuildKit disagree: keep what BuildKit said, unplaced
            step = StepRecord(index=0, stage=stage_name or "?", line=0,
                              keyword=text.split(maxsplit=1)[0].upper() if text.strip() else "",
                              instruction=" ".join(text.split()))
        step.cached = step.keyword == "FROM"  # a base image is taken as it is
        self.vertices[num] = step
        self.started[num] = time.monotonic()
        self.logs[num] = deque(maxlen=LOG_LINES)
        self.observer.step_started(step, f"{stage_name + ' ' if stage_name else ''}{i}/{n}")

    def _finish(self, num: int) -> None:
        step = self.vertices[num]
        if not step.seconds and not step.cached:
            step.seconds = time.monotonic() - self.started[num]
        self.observer.step_finished(step)

    def _locate(self, stage_name: str | None, i: int, n: int, text: str) -> Instruction | None:
        stage = self._stage(stage_name)
        if stage is None:
            return None
        ops = [x for x in stage.instructions[1:] if x.keyword in LAYER_OPS]
        if n == len(ops) + 1:  # the FROM names an image (not scratch, not an earlier stage)
            ops.insert(0, stage.from_instruction)
            self.from_counted.add(stage.index)
        if len(ops) != n or not 0 < i <= n:
            return None
        instr = ops[i - 1]
        return instr if text.split(maxsplit=1)[:1] == [instr.keyword] else None

    def _stage(self, name: str | None) -> Stage | None:
        stages = self.df.stages
        if name is None:  # only one stage is built: the target, or the last
            return stage_named(self.df, self.target) if self.target else (stages[-1] if stages else None)
        if name.startswith("stage-") and name[6:].isdigit() and int(name[6:]) < len(stages):
            return stages[int(name[6:])]
        return stage_named(self.df, name)

    def outcome(self, returncode: int) -> BuildOutcome:
        steps = list(self.vertices.values())
        # Stages FROM the same image share one FROM vertex, shown under one stage's name only.
        reported = {s.index for s in steps}
        for stage in self.df.stages:
            if stage.index in self.from_counted and stage.from_instruction.index + 1 not in reported:
                shared = step_for(self.df, stage.from_instruction)
                shared.cached = True
                steps.append(shared)
        steps.sort(key=lambda s: (s.index == 0, s.index))
        outcome = BuildOutcome(steps=steps)
        if returncode != 0:
            outcome.error = self._error_message() or f"docker build exited with status {returncode}"
            if self.failed_vertex is not None:
                outcome.log_tail = list(self.logs[self.failed_vertex])
        return outcome

    def _error_message(self) -> str | None:
        """The CLI's closing summary: the last line outside the `------` excerpt blocks."""
        inside = False
        message = None
        for line in self.other:
            if line.strip() == "------":
                inside = not inside
            elif not inside:
                message = line.strip()
        if message:
            for prefix in ("ERROR: ", "error: "):
                message = message.removeprefix(prefix)
        return message

