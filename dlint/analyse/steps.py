"""What a build run yields, whichever driver ran it: one record per build step, then the analysis.

A step is keyed to its Dockerfile instruction (`index`, `line`), not to the
builder's own numbering, so classic and BuildKit results line up and later
stages (budgets, baselines, waste, cache probes) can join on Dockerfile lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dlint.lint.finding import Finding
from dlint.model import Dockerfile, Instruction, Stage
from dlint.output import clipped
from dlint.parsing.numbers import capped_int

if TYPE_CHECKING:
    from dlint.analyse.budget import Gate
    from dlint.analyse.cacheprobe import ProbeResult
    from dlint.analyse.waste import WasteReport


# Steps one build stream or log may name: each costs a record and a log buffer, so a log of
# two million step lines took 2.6 GB. No real Dockerfile comes near it.
MAX_STEPS = 10_000


class TooManySteps(Exception):
    """A build stream or log names more than MAX_STEPS steps: it is not read on. str(): what
    follows the name of the stream or log in a message."""

    def __init__(self) -> None:
        super().__init__(f"names more than {MAX_STEPS:,} build steps: it is not read on")


@dataclass(slots=True)
class StepRecord:
    """One build step as every builder and log reader reports it: the row of the step table."""

    index: int  # 1-based position among the Dockerfile's instructions (the classic builder's "Step N")
    stage: str  # the stage's name: its alias, or its index as a string
    line: int  # first line of the instruction
    keyword: str
    instruction: str  # continuations joined, whitespace collapsed
    cached: bool | None = False  # None: unknown (the image was built elsewhere and no log says)
    seconds: float | None = 0.0  # None: unknown, as `cached`
    size: int | None = None  # bytes the step's layer adds; None when the builder gives no way to know
    image_id: str | None = None  # the image after this step, where the builder names one
    failed: bool = False
    probes: dict[str, int] = field(default_factory=dict)  # cache directory -> bytes this step added

    @property
    def cache_state(self) -> str:
        """What the progress lines and every report's cache column say about the step."""
        if self.cached is None:
            return "?"
        return "FAILED" if self.failed else "HIT" if self.cached else "MISS"

    @property
    def seconds_shown(self) -> str:
        return "?" if self.seconds is None else f"{self.seconds:.1f}"

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "stage": self.stage,
            "line": self.line,
            "instruction": self.instruction,
            "cached": self.cached,
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
            "size": self.size,
            "image_id": self.image_id,
            "failed": self.failed,
            "probes": dict(self.probes),
        }


def instruction_text(df: Dockerfile, instr: Instruction) -> str:
    """The instruction as one line: what a user recognises from the file. Made once per instruction: a build
    log names one as often as it likes (1,000 steps `[1/1] RUN a` of an 800 KB RUN took 12 s, each a copy)."""
    text = df._one_line.get(instr.index)
    if text is None:
        flags = [df.text[f.start_offset:f.end_offset] for f in instr.flags]
        args = instr.args.value.split("\n", 1)[0] if instr.heredocs else instr.args.value
        text = df._one_line[instr.index] = " ".join(" ".join([instr.keyword, *flags, args]).split())
    return text


def step_for(df: Dockerfile, instr: Instruction) -> StepRecord:
    stage = df.stage_of(instr)
    return StepRecord(
        index=instr.index + 1,
        stage=stage.name if stage else "global",
        line=instr.start_line,
        keyword=instr.keyword,
        instruction=instruction_text(df, instr),
    )


SHOWN = 400  # characters kept of a step that no instruction matches: enough to recognise it
OUTPUT_KEPT = 2000  # characters of one output line kept for the failure excerpt, by every builder's reader
LOG_LINES = 20  # output lines of a step kept for that excerpt (the last ones)


def unplaced_step(stage: str, echoed: str) -> StepRecord:
    """A step the builder names that dlint's parser does not place: its words as the builder gave them, cut
    to SHOWN characters (a hostile log can name 10,000 steps of megabytes each)."""
    text = " ".join(echoed[: SHOWN * 2].split())
    keyword = text.split(maxsplit=1)[0].upper() if text else ""
    return StepRecord(index=0, stage=stage, line=0, keyword=keyword,
                      instruction=clipped(text, SHOWN, "..."))


def keyword_matches(instr: Instruction, echoed: str) -> bool:
    """A live build's step names its instruction when the keywords agree (the builder echoes the file it read)."""
    return [w.upper() for w in echoed.split(maxsplit=1)[:1]] == [instr.keyword]


def join_log(table: list[StepRecord], logged: list[StepRecord]) -> list[StepRecord]:
    """The step table (sizes, from an image) with the cache state and seconds of the build log's step of the
    same stage and index; the log's steps the table lacks (stages that do not ship) join it in file order.

    A table step the log does not name (BuildKit runs nothing for ENV or LABEL) keeps what the table says.
    """
    by_key = {(s.stage, s.index): s for s in logged}
    joined = []
    for step in table:
        log = by_key.pop((step.stage, step.index), None)
        if log is not None:
            step.cached, step.seconds, step.failed = log.cached, log.seconds, log.failed
        joined.append(step)
    joined.extend(by_key.values())
    joined.sort(key=lambda s: s.index)
    return joined


def instruction_of(df: Dockerfile, step: StepRecord) -> Instruction | None:
    """The instruction a step ran; None for a step the builder reported that dlint's parser could not place."""
    if 0 < step.index <= len(df.instructions) and df.instructions[step.index - 1].start_line == step.line:
        return df.instructions[step.index - 1]
    return None


def stage_named(df: Dockerfile, name: str) -> Stage | None:
    """The stage `--target NAME` or a BuildKit progress line means: its alias, or its index."""
    name = name.lower()
    by_alias = df.first_stage_named(name)  # a table built once: a build log asks per step (a scan was quadratic)
    if by_alias is not None or not (name.isascii() and name.isdigit()):
        return by_alias
    index = capped_int(name)
    return df.stages[index] if index < len(df.stages) else None


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What to build, the same for every builder."""

    dockerfile: Path
    context: Path
    tag: str | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False


@dataclass
class BuildOutcome:
    """What a driver reports: the steps it ran, in Dockerfile order, and the final image or the error."""

    steps: list[StepRecord]
    image_id: str | None = None
    error: str | None = None  # the engine's message when the build failed
    log_tail: list[str] = field(default_factory=list)  # last output lines of the failing step


class Observer(Protocol):
    """Live progress: told when a step starts and ends.

    Build output is not echoed: the drivers keep the failing step's last lines for the report.
    """

    def step_started(self, step: StepRecord, position: str) -> None: ...

    def step_finished(self, step: StepRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """The built image's id, size and layer count, as `docker images` would show them."""

    id: str
    size: int  # uncompressed bytes, as `docker images` shows
    layers: int

    def to_dict(self) -> dict:
        return {"id": self.id, "size": self.size, "layers": self.layers}


@dataclass
class AnalysisResult:
    """Everything one analyse run measured: what every report renders and every budget reads."""

    dockerfile: str
    context: str
    builder: str
    steps: list[StepRecord]
    findings: list[Finding]
    image: ImageSummary | None = None
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    # cache directory -> bytes the image carries; None: its layers were not read (--no-waste, a failed save)
    image_probes: dict[str, int] | None = None
    cache_probe: list[ProbeResult] = field(default_factory=list)  # --cache-probe results
    waste: WasteReport | None = None  # layer contents replayed from the image's save stream
    waste_error: str | None = None  # why there is no waste report although the build made an image
    layers_from: str | None = None  # where the layer contents were read: the engine's save stream, the cache, a file
    gate: Gate | None = None  # budget verdicts, baseline comparison, cache hit rate

    @property
    def failed_step(self) -> StepRecord | None:
        return next((s for s in self.steps if s.failed), None)

    def step_at_line(self, line: int) -> StepRecord | None:
        return next((s for s in self.steps if s.line == line), None)

    def to_dict(self) -> dict:
        return {
            "dockerfile": self.dockerfile,
            "context": self.context,
            "builder": self.builder,
            "image": {**self.image.to_dict(), "probes": self.image_probes} if self.image else None,
            "steps": [s.to_dict() for s in self.steps],
            "findings": [f.to_dict() for f in self.findings],
            "cache_probe": [p.to_dict() for p in self.cache_probe],
            "error": self.error,
        }
