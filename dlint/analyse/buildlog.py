"""`--build-log FILE|-`: a build's own log -> step records (cache hit or miss, seconds), for any builder.

The format is told by the first line that only one of them writes:

    Step 2/5 : RUN ...                     classic `docker build` (its ` ---> Using cache`)
    #4 [build 1/2] FROM ...                BuildKit `--progress=plain` (`#4 CACHED`, `#4 DONE 0.3s`)
    {"vertexes": [...], ...}               buildx `--progress=rawjson` (one SolveStatus a line)
    [1/2] STEP 1/2: FROM ...               Podman/Buildah (`--> Using cache <id>`)

and the lines are then read by the very parsers of a live build (classic.StreamReader,
buildkitlog.ProgressReader), so a log and a build dlint runs give the same steps.
The log is read line by line with each line capped, so memory stays bounded.
A log whose steps do not name this Dockerfile's instructions (another
Dockerfile, or another version of it) is refused: its cache states would be
tied to the wrong lines.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from dlint.analyse.buildkitlog import STEP as BUILDKIT_STEP
from dlint.analyse.buildkitlog import VERTEX, ProgressReader
from dlint.analyse.classic import PODMAN_STEP, STEP, StreamReader
from dlint.analyse.steps import StepRecord, TooManySteps, instruction_text
from dlint.model import Dockerfile, Instruction
from dlint.parsing.source import SourceError, open_regular

MAX_LINE = 4 * 1024 * 1024  # bytes; a rawjson line carries a batch of output, a plain line one line of it
FORMATS = {"classic": "classic docker build", "buildkit": "BuildKit plain progress",
           "rawjson": "buildx rawjson progress", "podman": "Podman/Buildah"}
SHOWN = 80  # characters of an offending line quoted in an error


class BuildLogError(Exception):
    """The log cannot be read, or is not this Dockerfile's: one line, exit 2."""


@dataclass
class BuildLog:
    """A --build-log read into step records, with the format it was read as."""

    format: str  # a key of FORMATS
    steps: list[StepRecord]


class _Quiet:
    """Observer and tracker for a log: nothing runs, nothing is shown live, nothing is to be cleaned up."""

    def step_started(self, step: StepRecord, position: str) -> None:
        pass

    def step_finished(self, step: StepRecord) -> None:
        pass

    def image(self, image_id: str) -> None:
        pass

    def container(self, container_id: str) -> None:
        pass


def read_build_log(path: str, df: Dockerfile, target: str | None = None) -> BuildLog:
    """The steps `path` (or stdin for `-`) records, placed on `df`'s instructions."""
    name = "stdin" if path == "-" else path
    try:
        if path == "-":
            if sys.stdin is None:  # `--build-log - <&-`
                raise BuildLogError("cannot read the build log from stdin: stdin is closed")
            return _read(sys.stdin.buffer, name, df, target)
        with open_regular(path, "build log") as stream:  # a FIFO or a device would block or never end
            return _read(stream, name, df, target)
    except OSError as exc:
        raise BuildLogError(f"cannot read the build log {name}: {exc.strerror or exc}") from None
    except SourceError as exc:
        raise BuildLogError(str(exc)) from None
    except TooManySteps as exc:
        raise BuildLogError(f"the build log {name} {exc}") from None


def _read(stream: IO[bytes], name: str, df: Dockerfile, target: str | None) -> BuildLog:
    lines = _lines(stream, name)
    first: str | None = None
    for line in lines:
        fmt = _format(line)
        if fmt is not None:
            steps = _steps(fmt, _chain(line, lines), df, target)
            break
        if first is None and line.strip():
            first = line
    else:
        seen = f"it began {first[:SHOWN]!r}" if first else "it is empty"
        raise BuildLogError(f"cannot read the build log {name}: no step line of a {', '.join(FORMATS.values())} "
                            f"log ({seen})")
    unplaced = next((s for s in steps if not s.line), None)
    if unplaced is not None or not steps:
        what = f"its step {unplaced.instruction[:SHOWN]!r}" if unplaced else "it names no step"
        raise BuildLogError(f"the build log {name} is not a log of {df.path}: {what} is not one of its instructions")
    _end(fmt, steps)
    return BuildLog(fmt, steps)


def _lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """Decoded lines, each at most MAX_LINE bytes (the rest of a longer line is skipped, never held)."""
    while True:
        raw = stream.readline(MAX_LINE)
        if not raw:
            return
        if b"\0" in raw:
            raise BuildLogError(f"cannot read the build log {name}: it is binary, not a text log")
        if not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _format(line: str) -> str | None:
    if STEP.match(line):
        return "classic"
    if PODMAN_STEP.match(line):
        return "podman"
    if (m := VERTEX.match(line)) and BUILDKIT_STEP.match(m[2]):
        return "buildkit"
    if line.startswith("{") and _status(line) is not None:
        return "rawjson"
    return None


def _status(line: str) -> dict | None:
    """A rawjson line: a JSON object with a SolveStatus's keys (a stray JSON line is not one)."""
    try:
        document = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if isinstance(document, dict) and {"vertexes", "statuses", "logs", "warnings"} & document.keys():
        return document
    return None


def _steps(fmt: str, lines: Iterator[str], df: Dockerfile, target: str | None) -> list[StepRecord]:
    quiet = _Quiet()
    if fmt in ("classic", "podman"):
        reader = StreamReader(df, quiet, quiet, target, matches=text_matcher(df), clock=None)
        return reader.read({"stream": line + "\n"} for line in lines).steps
    progress = ProgressReader(df, target, quiet, clock=None, matches=text_matcher(df))
    for line in lines:
        if fmt == "buildkit":
            progress.line(line)
        elif line.startswith("{") and (document := _status(line)) is not None:
            progress.status(document)
    return progress.steps()


def _end(fmt: str, steps: list[StepRecord]) -> None:
    """A classic or Podman log says a step failed by stopping before its image id: the last step then failed."""
    last = steps[-1]
    if fmt in ("classic", "podman") and last.image_id is None and last.keyword != "FROM" and last.stage != "global":
        last.failed = True


_SPACE = re.compile(r"\s+")


def text_matcher(df: Dockerfile) -> Callable[[Instruction, str], bool]:
    """A log's step names an instruction when its text is the instruction's, spacing aside.

    A FROM by keyword only: BuildKit writes the reference normalised (`docker.io/...`, build args
    expanded). Either may be a prefix of the other: a heredoc is echoed by its first line.
    """

    def matches(instr: Instruction, echoed: str) -> bool:
        logged = _SPACE.sub(" ", echoed).strip()
        ours = instruction_text(df, instr)  # words joined by one space, the keyword first
        if logged.split(" ", 1)[0].upper() != instr.keyword:
            return False
        if instr.keyword == "FROM":
            return True
        logged = logged[len(instr.keyword):].strip()
        start = min(len(instr.keyword) + 1, len(ours))  # ours's words after the keyword, compared in place:
        if ours.startswith(logged, start):  # a copy of a long RUN per step cost its length each time
            return True
        return len(logged) >= len(ours) - start and logged[: len(ours) - start] == ours[start:]

    return matches
