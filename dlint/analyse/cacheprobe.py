"""The cache probe: change one file of a copy of the context, rebuild, and see what the change cost.

The measured counterpart of DLT004 (copy-before-install): after a warm build,
each probed path gets one byte appended in a temporary copy of the context (the
user's files are never touched) and the image is rebuilt with the same builder.
The first step that misses the cache, and everything rebuilt after it, is what
every edit of that file costs. When that includes a dependency install behind
a broad `COPY . .`, the probe says which manifest to copy first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from dlint.analyse.steps import BuildOutcome, BuildRequest, StepRecord, instruction_of
from dlint.lint.checks.cache_order import broad_source, holds_manifests, installs
from dlint.lint.checks.operands import copy_operands
from dlint.lint.context import Context
from dlint.model import Dockerfile
from dlint.output import clipped

Rebuild = Callable[[BuildRequest], BuildOutcome]  # runs the analysed build again; steps carry sizes
PROBE_FILE = ".dlint-cache-probe"  # what a probed directory gets: a new file
SYSTEM_MANAGERS = frozenset({"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper"})
SYSTEM_INSTALLS = frozenset({"install", "add"})


class CacheProbeError(Exception):
    """A --cache-probe path that cannot be probed: one line, before anything is built."""


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """A --cache-probe path, checked to lie inside the build context."""

    given: str  # as the user wrote it
    relative: PurePosixPath  # inside the build context


@dataclass(slots=True)
class ProbeResult:
    """What changing one context path costs: the first step that misses and what is rebuilt after it."""

    path: str
    first_miss: StepRecord | None = None
    rebuilt_steps: int = 0
    rebuilt_seconds: float = 0.0
    rebuilt_bytes: int = 0
    suggestion: str | None = None
    error: str | None = None  # the rebuild failed

    def to_dict(self) -> dict:
        miss = self.first_miss
        return {
            "path": self.path,
            "first_miss_step": miss.index if miss else None,
            "first_miss_line": miss.line if miss else None,
            "first_miss_instruction": miss.instruction if miss else None,
            "rebuilt_steps": self.rebuilt_steps,
            "rebuilt_seconds": round(self.rebuilt_seconds, 3),
            "rebuilt_bytes": self.rebuilt_bytes,
            "suggestion": self.suggestion,
            "error": self.error,
        }


def targets(context: Path, paths: list[str]) -> list[ProbeTarget]:
    """Each PATH inside the context: relative to the context, or to the working directory.

    A path reached through a symbolic link is refused: changing it in the copy
    could write to whatever the link points at.
    """
    found: list[ProbeTarget] = []
    root = Path(os.path.abspath(context))
    for given in paths:
        candidates = [Path(os.path.abspath(p)) for p in (root / given, given)]
        path = next((c for c in candidates if c.is_relative_to(root) and os.path.lexists(c)), None)
        if path is None:
            raise CacheProbeError(f"--cache-probe {given}: no such file or directory in the build context {root}")
        relative = path.relative_to(root)
        if not relative.parts:
            raise CacheProbeError(f"--cache-probe {given}: name a file or directory inside the context, not the context")
        for depth in range(1, len(relative.parts) + 1):
            if (root / Path(*relative.parts[:depth])).is_symlink():
                raise CacheProbeError(f"--cache-probe {given}: {Path(*relative.parts[:depth])} is a symbolic link")
        found.append(ProbeTarget(given, PurePosixPath(relative.as_posix())))
    return found


def probe(request: BuildRequest, df: Dockerfile, probes: list[ProbeTarget], rebuild: Rebuild) -> list[ProbeResult]:
    """Rebuild once per target with that path changed in a private copy of the context."""
    with tempfile.TemporaryDirectory(prefix="dlint-cache-probe-") as tmp:
        copy = Path(tmp) / "context"
        try:
            shutil.copytree(request.context, copy, symlinks=True)
        except (shutil.Error, OSError) as exc:
            raise CacheProbeError(f"cannot copy the build context for the cache probe: {_first_error(exc)}") from None
        dockerfile = request.dockerfile
        if dockerfile.is_relative_to(request.context):
            dockerfile = copy / dockerfile.relative_to(request.context)
        probe_request = replace(request, context=copy, dockerfile=dockerfile, tag=None, no_cache=False)
        results = []
        for target in probes:
            with _changed(copy / target.relative):
                outcome = rebuild(probe_request)
            results.append(compare(df, target, outcome, copy))
        return results


@contextmanager
def _changed(path: Path) -> Iterator[None]:
    """Append a newline to a file (or add a file to a directory); undone for the next probe."""
    if path.is_dir():
        added = path / PROBE_FILE
        added.write_bytes(b"\n")
        try:
            yield
        finally:
            added.unlink()
        return
    original = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b"\n")  # a newline keeps JSON, Python, requirement files and scripts valid
    try:
        yield
    finally:
        path.write_bytes(original)


def compare(df: Dockerfile, target: ProbeTarget, outcome: BuildOutcome, context: Path) -> ProbeResult:
    """What the rebuild redid: every step that did not come from the cache."""
    result = ProbeResult(path=target.given, error=outcome.error)
    rebuilt = [s for s in outcome.steps if not s.cached]
    if not rebuilt:
        return result
    result.first_miss = rebuilt[0]
    result.rebuilt_steps = len(rebuilt)
    result.rebuilt_seconds = sum(s.seconds for s in rebuilt)
    result.rebuilt_bytes = sum(s.size or 0 for s in rebuilt)
    result.suggestion = suggestion(df, target, rebuilt, context)
    return result


def suggestion(df: Dockerfile, target: ProbeTarget, rebuilt: list[StepRecord], context: Path) -> str | None:
    """How to keep a rebuilt dependency install cached, when a broad COPY/ADD is what missed.

    DLT004 knows the installs and their manifests; system package installs read
    nothing from the context, so for those the advice is to move them up.
    """
    copy = instruction_of(df, rebuilt[0])
    escape = df.directives.escape
    source = broad_source(copy, escape) if copy is not None else None
    if copy is None or source is None:
        return None
    ctx = Context(df)
    where = f"`{_short(rebuilt[0].instruction)}` (line {copy.start_line})"
    for step in rebuilt[1:]:
        instr = instruction_of(df, step)
        if instr is None or instr.stage != copy.stage or instr.keyword != "RUN":
            continue
        install = f"`{_short(step.instruction)}` (line {instr.start_line})"
        for found in installs(ctx, instr):
            # An absolute manifest path is where the COPY put it: the context has it by name.
            files = [PurePosixPath(m) if not m.startswith("/") else PurePosixPath(PurePosixPath(m).name)
                     for m in found.manifests]
            if holds_manifests(source, found) or target.relative.name in {f.name for f in files}:
                continue  # the install reads the changed file (or its copy is already separate)
            present = " ".join(str(f) for f in files if (context / f).is_file()) or str(files[0])
            _, dest = copy_operands(copy, escape)
            into = "./" if dest is None or dest.value in (".", "./") else dest.value.rstrip("/") + "/"
            return (
                f"add `COPY {present} {into}` above {where} and move {install} up between them, "
                f"so that it stays cached when {target.given} changes"
            )
        packages = ctx.package_commands(instr)
        if any(pc.manager in SYSTEM_MANAGERS and pc.subcommand in SYSTEM_INSTALLS for pc in packages):
            return f"move {install} above {where}: it reads nothing from the context"
    return None


def _short(text: str, width: int = 60) -> str:
    return clipped(text, width, "...")


def _first_error(exc: BaseException) -> str:
    """shutil.Error carries a list of (src, dst, reason); show the first."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        src, _dst, reason = exc.args[0][0]
        return f"{src}: {reason}"
    return str(exc)
