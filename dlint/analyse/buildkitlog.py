"""BuildKit's progress -> step records: the one parser for a live build and a `--build-log`.

Plain lines (`docker build --progress=plain`, any BuildKit client):

    #6 [stage-1 2/3] COPY app.txt /srv/app.txt    <- a step: stage name (absent for a single stage), i/n
    #6 CACHED | #6 DONE 0.3s | #6 ERROR: ...      <- how it ended
    #6 0.372 some output                          <- the step's output

or buildx `--progress=rawjson`: one JSON SolveStatus a line, whose
`vertexes[]` carry the same name with `digest`, `cached`, `started`,
`completed` and `error`; a vertex is repeated as it changes.

Vertices finish out of file order (stages run in parallel), so steps are keyed
by `[stage i/n]`: the i-th of the stage's FROM (only when it names an image),
RUN, COPY, ADD and WORKDIR instructions, the ones BuildKit makes operations of.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from dlint.analyse.steps import (
    MAX_STEPS,
    LOG_LINES,
    OUTPUT_KEPT,
    BuildOutcome,
    Observer,
    StepRecord,
    TooManySteps,
    keyword_matches,
    stage_named,
    step_for,
    unplaced_step,
)
from dlint.model import Dockerfile, Instruction, Stage
from dlint.parsing.numbers import capped_int

# Numbers are ASCII digits, at most 9 of them: `int()` refuses a string of over 4,300 digits, and
# a DONE of 400 nines is `inf` seconds, which is not JSON.
VERTEX = re.compile(r"^#([0-9]{1,9}) (.*)$")
STEP = re.compile(r"^\[(?:(\S+) )?([0-9]{1,9})/([0-9]{1,9})\] (.*)$")
DONE = re.compile(r"^DONE ([0-9]{1,9}(?:\.[0-9]{1,9})?)s$")
OUTPUT = re.compile(r"^\d+(?:\.\d+)? (.*)$")
# Go's RFC 3339 with nanoseconds: Python reads at most microseconds.
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")
LAYER_OPS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})
REFUSAL = "BuildKit is enabled but the buildx component is missing or broken"
OTHER_LINES = 200  # the CLI's closing error excerpt and summary are the last of these
LOGGED_STEPS = 64  # unfinished steps whose output is kept (a log can start 10,000 and finish none): the newest

Matcher = Callable[[Instruction, str], bool]  # does the builder's step text name this instruction?


class ProgressReader:
    """Plain progress lines or rawjson statuses -> step records, in Dockerfile order at the end.

    `clock` times a step that ends without `DONE Ns` (a live build); a log passes None.
    """

    def __init__(self, df: Dockerfile, target: str | None, observer: Observer,
                 clock: Callable[[], float] | None = time.monotonic, matches: Matcher = keyword_matches) -> None:
        self.df = df
        self.target = target
        self.observer = observer
        self.clock = clock
        self.matches = matches
        self.vertices: dict[int | str, StepRecord] = {}
        self.started: dict[int | str, float] = {}
        self.finished: set[int | str] = set()
        self.logs: dict[int | str, deque[str]] = {}
        self.other: deque[str] = deque(maxlen=OTHER_LINES)  # lines outside any vertex: the error summary ends here
        self.refused = False
        self.failed_vertex: int | str | None = None
        self.from_counted: set[int] = set()  # stages whose `i/n` numbering includes their FROM
        self.ops: dict[int, list[Instruction]] = {}  # each stage's LAYER_OPS after its FROM, listed once

    def line(self, line: str) -> None:
        m = VERTEX.match(line)
        if not m:
            if REFUSAL in line:
                self.refused = True
            if line.strip():
                self.other.append(line[:OUTPUT_KEPT])
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
            self._failed(num)
        elif out := OUTPUT.match(rest):
            if num in self.logs:  # not after the step finished
                self.logs[num].append(out[1][:OUTPUT_KEPT])

    def status(self, document: dict) -> None:
        """One rawjson line: a SolveStatus whose `vertexes` say which steps started, hit the cache, ended."""
        vertexes = document.get("vertexes")
        for vertex in vertexes if isinstance(vertexes, list) else ():
            key = vertex.get("digest") if isinstance(vertex, dict) else None
            if not isinstance(key, str):
                continue
            if key not in self.vertices:
                name = vertex.get("name")
                header = STEP.match(name) if isinstance(name, str) else None
                if header is None:
                    continue  # [internal] loads, exporting: not a Dockerfile step
                self._start(key, header)
            step = self.vertices[key]
            if vertex.get("cached") is True:
                step.cached = True
            started, completed = _time(vertex.get("started")), _time(vertex.get("completed"))
            if vertex.get("error"):
                self._failed(key)
            elif completed is not None:
                if started is not None and not step.cached:
                    step.seconds = max(0.0, (completed - started).total_seconds())
                self._finish(key)

    def _start(self, key: int | str, header: re.Match) -> None:
        stage_name, i, n, text = header[1], int(header[2]), int(header[3]), header[4]
        instr = self._locate(stage_name, i, n, text)
        if instr is not None:
            step = step_for(self.df, instr)
        else:  # dlint's parser and BuildKit disagree: keep what BuildKit said, unplaced
            step = unplaced_step(stage_name or "?", text)
        step.cached = step.keyword == "FROM"  # a base image is taken as it is
        if len(self.vertices) >= MAX_STEPS:
            raise TooManySteps
        self.vertices[key] = step
        self.started[key] = self.clock() if self.clock else 0.0
        if len(self.logs) >= LOGGED_STEPS:
            oldest = next(k for k in self.logs if k != self.failed_vertex)
            del self.logs[oldest]
        self.logs[key] = deque(maxlen=LOG_LINES)
        self.observer.step_started(step, f"{stage_name + ' ' if stage_name else ''}{i}/{n}")

    def _failed(self, key: int | str) -> None:
        self.vertices[key].failed = True
        self.failed_vertex = key
        self._finish(key)

    def _finish(self, key: int | str) -> None:
        if key in self.finished:
            return
        self.finished.add(key)
        if key != self.failed_vertex:  # only a failed step's output is shown: the rest need not be held
            self.logs.pop(key, None)
        step = self.vertices[key]
        if not step.seconds and not step.cached and self.clock:
            step.seconds = self.clock() - self.started[key]
        self.observer.step_finished(step)

    def _locate(self, stage_name: str | None, i: int, n: int, text: str) -> Instruction | None:
        stage = self._stage(stage_name)
        if stage is None:
            return None
        ops = self.ops.get(stage.index)
        if ops is None:  # once per stage: listed per step, a log of 8,000 steps took 6.6 s
            ops = self.ops[stage.index] = [x for x in stage.instructions[1:] if x.keyword in LAYER_OPS]
        counted = n == len(ops) + 1  # the FROM names an image (not scratch, not an earlier stage)
        if counted:
            self.from_counted.add(stage.index)
        if len(ops) + counted != n or not 0 < i <= n:
            return None
        instr = stage.from_instruction if counted and i == 1 else ops[i - 1 - counted]
        return instr if self.matches(instr, text) else None

    def _stage(self, name: str | None) -> Stage | None:
        stages = self.df.stages
        if name is None:  # only one stage is built: the target, or the last
            return stage_named(self.df, self.target) if self.target else (stages[-1] if stages else None)
        index = name[6:]
        if name.startswith("stage-") and index.isascii() and index.isdigit() and capped_int(index) < len(stages):
            return stages[capped_int(index)]
        return stage_named(self.df, name)

    def steps(self) -> list[StepRecord]:
        """Every step seen, in Dockerfile order (unplaced ones last)."""
        steps = list(self.vertices.values())
        # Stages FROM the same image share one FROM vertex, shown under one stage's name only.
        reported = {s.index for s in steps}
        for stage in self.df.stages:
            if stage.index in self.from_counted and stage.from_instruction.index + 1 not in reported:
                shared = step_for(self.df, stage.from_instruction)
                shared.cached = True
                steps.append(shared)
        steps.sort(key=lambda s: (s.index == 0, s.index))
        return steps

    def outcome(self, returncode: int) -> BuildOutcome:
        outcome = BuildOutcome(steps=self.steps())
        if returncode != 0:
            outcome.error = self._error_message() or f"docker build exited with status {returncode}"
            if self.failed_vertex is not None:
                outcome.log_tail = list(self.logs.get(self.failed_vertex, ()))
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


def _time(value: object) -> datetime | None:
    m = TIMESTAMP.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    fraction = f".{m[2][:6].ljust(6, '0')}" if m[2] else ""
    try:
        return datetime.fromisoformat(m[1] + fraction + ("+00:00" if m[3] == "Z" else m[3]))
    except ValueError:  # 2024-13-45...: shaped like a time, not one
        return None
