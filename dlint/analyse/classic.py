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
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator

from docker.errors import APIError

from dlint.analyse.engine import Engine, Tracker
from dlint.analyse.steps import BuildOutcome, BuildRequest, Observer, StepRecord, step_for
from dlint.model import Dockerfile

# Podman's compatible API says the same in its own words: `STEP 3/8: RUN ...`, `--> Using cache <id>`,
# `--> <11-hex id>`, `COMMIT`, and runs no container the API lists.
STEP = re.compile(r"^(?:Step (\d+)/(\d+) : |STEP (\d+)/(\d+): )")
RUNNING = re.compile(r"^ ---> Running in ([0-9a-f]+)$")
IMAGE = re.compile(r"^ ?---?> ([0-9a-f]{11,64})$")
USING_CACHE = re.compile(r"^ ?---?> Using cache\b")
IGNORED = ("Removing intermediate container ", "COMMIT")
LOG_LINES = 20


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
        return StreamReader(df, observer, tracker).read(stream)
    except APIError as exc:  # refused before the stream started: bad context, unknown target, ...
        return BuildOutcome(steps=[], error=str(exc.explanation or exc))


class StreamReader:
    """Turns the decoded build stream into step records as the chunks arrive."""

    def __init__(self, df: Dockerfile, observer: Observer, tracker: Tracker) -> None:
        self.df = df
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
        header = STEP.match(line)
        if header:
            self._finish()
            self._start(int(header[1] or header[3]), header[2] or header[4], line[header.end():])
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
        elif not line.startswith(IGNORED):
            self._output(line)

    def _start(self, number: int, total: str, echoed: str) -> None:
        step = self._step(number, echoed)
        # FROM and global ARGs run nothing: there is no cache to miss.
        step.cached = step.keyword == "FROM" or step.stage == "global"
        self.steps.append(step)
        self.current = step
        self.started = time.monotonic()
        self.log.clear()
        self.observer.step_started(step, f"{number}/{total}")

    def _step(self, number: int, echoed: str) -> StepRecord:
        keyword = echoed.split(maxsplit=1)[0].upper() if echoed.strip() else ""
        if 0 < number <= len(self.df.instructions):
            instr = self.df.instructions[number - 1]
            if instr.keyword == keyword:
                return step_for(self.df, instr)
        # The builder and dlint's parser disagree: report what the builder said, unplaced.
        return StepRecord(index=number, stage="?", line=0, keyword=keyword, instruction=" ".join(echoed.split()))

    def _finish(self) -> None:
        if self.current is not None:
            self.current.seconds = time.monotonic() - self.started
            self.observer.step_finished(self.current)
            self.current = None

    def _output(self, line: str) -> None:
        if line.strip():
            self.log.append(line)
