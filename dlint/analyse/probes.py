"""What the cache directories of an image hold, read through the archive endpoint (`docker cp`).

Layer sizes say how big a step is; these probes say how much of it is package
lists and download caches, which is what DL3009, DLT001 and friends warn about.
Each measured image gets a created, never-started container whose archive of
each directory is streamed and summed, never stored.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from dlint.analyse.extract import (
    ADDED_AT_CREATE,
    ExtractError,
    PathNotFound,
    member_parts,
    open_archive,
    scratch_container,
)
from dlint.analyse.steps import StepRecord, instruction_of
from dlint.lint.context import Context
from dlint.lint.finding import Finding
from dlint.model import Dockerfile

if TYPE_CHECKING:
    import docker

APT_LISTS = "/var/lib/apt/lists"
CACHE_DIRS = (
    APT_LISTS,
    "/var/cache/apt",
    "/var/cache/apk",
    "/var/cache/yum",
    "/var/cache/dnf",
    "/root/.cache/pip",
    "/root/.npm",
    "/tmp",
)
# The rules whose subject is one of the probed directories: their findings get `measured_bytes`.
RULE_DIRS = {
    "DL3009": APT_LISTS,
    "DLT001": APT_LISTS,
    "DL3019": "/var/cache/apk",
    "DL3032": "/var/cache/yum",
    "DL3040": "/var/cache/dnf",
    "DL3042": "/root/.cache/pip",
}


def archive_bytes(stream: BinaryIO, top: str, image_path: str) -> int:
    """Bytes of the regular files in a tar of `image_path`; hard links count once (they carry no data)."""
    base = PurePosixPath(image_path)
    total = 0
    for member in tarfile.open(fileobj=stream, mode="r|"):
        if not member.isreg():
            continue
        parts = member_parts(member.name, top)
        if parts is not None and base.joinpath(*parts) in ADDED_AT_CREATE:
            continue
        total += member.size
    return total


def measure(client: docker.DockerClient, image: str, paths: Iterable[str] = CACHE_DIRS) -> dict[str, int]:
    """Bytes under each path that exists in `image` (absent paths are left out)."""
    sizes: dict[str, int] = {}
    with scratch_container(client, image) as cid:
        for path in paths:
            try:
                with open_archive(client, cid, path) as (stat, stream):
                    sizes[path] = 0 if stat.is_symlink else archive_bytes(stream, stat.name, path)
            except PathNotFound:
                continue
            except tarfile.TarError as exc:
                raise ExtractError(f"{path}: the engine sent a broken archive ({exc})") from None
    return sizes


def added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Bytes a step added per directory; paths it did not grow are left out."""
    grown = {path: n - before.get(path, 0) for path, n in after.items()}
    return {path: n for path, n in grown.items() if n > 0}


def package_steps(df: Dockerfile, steps: list[StepRecord]) -> Iterator[tuple[StepRecord, StepRecord]]:
    """(step, the step before it in its stage) for each step that ran a package manager.

    Only steps whose image the builder named can be measured: every classic
    step, and none below the top with BuildKit.
    """
    ctx = Context(df)
    previous: dict[str, StepRecord] = {}
    for step in steps:
        before = previous.get(step.stage)
        previous[step.stage] = step
        if step.keyword != "RUN" or before is None or not (step.image_id and before.image_id):
            continue
        instr = instruction_of(df, step)
        if instr is not None and ctx.package_commands(instr):
            yield step, before


def probe_build(client: docker.DockerClient, df: Dockerfile, steps: list[StepRecord]) -> list[StepRecord]:
    """Fill `probes` of every package-manager step with the bytes it added to the cache directories.

    Returns the steps measured (one that added nothing has empty probes but
    was measured). Each image is measured once.
    """
    cache: dict[str, dict[str, int]] = {}

    def sizes(image: str) -> dict[str, int]:
        if image not in cache:
            cache[image] = measure(client, image)
        return cache[image]

    measured: list[StepRecord] = []
    for step, before in package_steps(df, steps):
        assert step.image_id and before.image_id  # package_steps yields measurable steps only
        step.probes = added(sizes(before.image_id), sizes(step.image_id))
        measured.append(step)
    return measured


def annotate(findings: list[Finding], measured: list[StepRecord]) -> None:
    """Give each finding about a probed directory the bytes its step added there (0 included)."""
    probed = {s.line: s for s in measured}
    for finding in findings:
        directory = RULE_DIRS.get(finding.code)
        step = probed.get(finding.instruction_line)
        if directory and step is not None:
            finding.extra["measured_bytes"] = step.probes.get(directory, 0)
