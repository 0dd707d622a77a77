"""The classic builder through the SDK's low-level build stream -> step records.

Read as it comes (the high-level `images.build` buffers the whole stream). On
Engine 20.10 the stream looks like:

    Step 3/8 : RUN apt-get update          <- header; its newline arrives as a separate chunk
     ---> Using cache                      <- only on a cache hit
     ---> Running in 7b0213e2f0bc          <- intermediate container (a miss)
    Removing intermediate container 7b0213e2f0bc
     ---> e96a0f1f693c                     <- the image after this step = its `history()` row Id
    {"aux": {"ID": "sha256:..."}}          <- after each stage; the last one is the final image
    {"error": ..., "errorDetail": {...}}   <- the build failed

Step N is the Nth instruction in file order, global ARGs and FROMs included.

Podman's compatible API and `podman build` say the same in their own words:
`[2/3] STEP 4/6: COPY ...` (the stage prefix only when several stages are
built; STEP j is the j-th instruction of that stage, its FROM first),
`--> Using cache <id>`, `--> <11-hex id>`, `COMMIT`; no container is listed.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator

from docker.errors import APIError

from dlint.analyse.engine import Engine, Tracker
from dlint.analyse.steps import (
    MAX_STEPS,
    LOG_LINES,
    OUTPUT_KEPT,
    BuildOutcome,
    BuildRequest,
    Observer,
    StepRecord,
    TooManySteps,
    keyword_matches,
    stage_named,
    step_for,
    unplaced_step,
)
from dlint.model import Dockerfile, Instruction

STEP = re.compile(r"^Step ([0-9]{1,9})/([0-9]{1,9}) : ")  # at most 9 digits: int() refuses over 4,300
PODMAN_STEP = re.compile(r"^(?:\[([0-9]{1,9})/[0-9]{1,9}\] )?STEP ([0-9]{1,9})/([0-9]{1,9}): ")
RUNNING = re.compile(r"^ ---> Running in ([0-9a-f]+)$")
IMAGE = re.compile(r"^ ?---?> ([0-9a-f]{11,64})$")
USING_CACHE = re.compile(r"^ ?---?> Using cache\b")
IGNORED = re.compile(r"^(?:Removing intermediate container |(?:\[\d+/\d+\] )?COMMIT\b)")


class UnreadableStream(Exception):
    """The build stream named no step in a form dlint reads: an empty analysis would look like a pass."""


def build(engine: Engine, request: BuildRequest, df: Dockerfile, observer: Observer, tracker: Tracker) -> BuildOutcome:
    try:
        stream = engine.api.build(
            path=str(request.context),
            dockerfile=str(request.dockerfile.resolve()),
            tag=request.tag,
            target=request.target,
            buildargs=request.build_args or None,
            nocache=request.no_cache,
            decode=True,
            rm=True,
            forcerm=True,
        )
        return StreamReader(df, observer, tracker, request.target).read(stream)
    except APIError as exc:  # refused before the stream started: bad context, unknown target, ...
        return BuildOutcome(steps=[], error=str(exc.explanation or exc))


class StreamReader:
    """Turns the decoded build stream into step records as the chunks arrive."""

    def __init__(self, df: Dockerfile, observer: Observer, tracker: Tracker, target: str | None = None,
                 matches: Callable[[Instruction, str], bool] = keyword_matches,
                 clock: Callable[[], float] | None = time.monotonic) -> None:
        self.df = df
        self.clock = clock  # None for a log: its lines carry no times
        self.target = target  # the stage an unprefixed Podman STEP belongs to (else the last)
        self.matches = matches
        self.observer = observer
        self.tracker = tracker
        self.steps: list[StepRecord] = []
        self.current: StepRecord | None = None
        self.started = 0.0
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.outcome = BuildOutcome(steps=self.steps)
        self.first_line: str | None = None  # named in the error when no step line is recognised

    def read(self, chunks: Iterator[dict]) -> BuildOutcome:
        pending = ""
        for chunk in chunks:
            if "stream" in chunk:
                pending += chunk["stream"]
                *lines, pending = pending.split("\n")
                for line in lines:
                    self._line(line.rstrip("\r"))
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("ID"):
                self.outcome.image_id = aux["ID"]
                self.tracker.image(aux["ID"])
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail") or {}
                self.outcome.error = (chunk.get("error") or detail.get("message") or "build failed").strip()
        if pending:
            self._line(pending)
        if not self.steps and not self.outcome.error and self.df.instructions:
            seen = f"it began {self.first_line[:80]!r}" if self.first_line else "it was empty"
            raise UnreadableStream(f"cannot read the engine's build stream: no `Step N/M : ` or `STEP N/M: ` line ({seen}); "
                                   "is DOCKER_HOST a Docker Engine or Podman?")
        if self.outcome.error:
            self.outcome.image_id = None
            if self.current:
                self.current.failed = True
            self.outcome.log_tail = list(self.log)
        self._finish()
        return self.outcome

    def _line(self, line: str) -> None:
        if self.first_line is None and line.strip():
            self.first_line = line
        if header := STEP.match(line):
            self._finish()
            self._start(self._step(self._instruction(int(header[1])), line[header.end():]), f"{header[1]}/{header[2]}")
            return
        if header := PODMAN_STEP.match(line):
            self._finish()
            instr = self._stage_instruction(int(header[1]) - 1 if header[1] else None, int(header[2]))
            self._start(self._step(instr, line[header.end():]), f"{header[2]}/{header[3]}")
            return
        step = self.current
        if step is None:
            self._output(line)
        elif USING_CACHE.match(line):
            step.cached = True
        elif m := RUNNING.match(line):
            self.tracker.container(m[1])
        elif m := IMAGE.match(line):
            step.image_id = m[1]
            if step.keyword != "FROM":
                self.tracker.image(m[1])
        elif not IGNORED.match(line):
            self._output(line)

    def _start(self, step: StepRecord, position: str) -> None:
        # FROM and global ARGs run nothing: there is no cache to miss.
        step.cached = step.keyword == "FROM" or step.stage == "global"
        if len(self.steps) >= MAX_STEPS:
            raise TooManySteps
        self.steps.append(step)
        self.current = step
        self.started = self.clock() if self.clock else 0.0
        self.log.clear()
        self.observer.step_started(step, position)

    def _instruction(self, number: int) -> Instruction | None:
        return self.df.instructions[number - 1] if 0 < number <= len(self.df.instructions) else None

    def _stage_instruction(self, stage_index: int | None, number: int) -> Instruction | None:
        stages = self.df.stages
        if stage_index is None:  # one stage built: the target, or the last
            stage = stage_named(self.df, self.target) if self.target else (stages[-1] if stages else None)
        else:
            stage = stages[stage_index] if 0 <= stage_index < len(stages) else None
        return stage.instructions[number - 1] if stage is not None and 0 < number <= len(stage.instructions) else None

    def _step(self, instr: Instruction | None, echoed: str) -> StepRecord:
        if instr is not None and self.matches(instr, echoed):
            return step_for(self.df, instr)
        return unplaced_step("?", echoed)  # the builder and dlint's parser disagree: what the builder said

    def _finish(self) -> None:
        if self.current is not None:
            if self.clock:
                self.current.seconds = self.clock() - self.started
            self.observer.step_finished(self.current)
            self.current = None

    def _output(self, line: str) -> None:
        if line.strip():  # cut as BuildKit's: 20 lines of 4 MiB of U+FFFD each held 160 MB
            self.log.append(line[:OUTPUT_KEPT])
