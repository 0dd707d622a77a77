"""BuildKit through the docker CLI's plain progress output -> step records.

The SDK cannot drive BuildKit (docker-py#2230), so this runs
`DOCKER_BUILDKIT=1 docker build --progress=plain` (or `docker buildx build`
with the same plain output where the buildx plugin is installed) and reads its
lines with buildkitlog.ProgressReader, the parser `--build-log` uses too.

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
from dataclasses import dataclass
from pathlib import Path

from dlint.analyse.buildkitlog import REFUSAL, ProgressReader
from dlint.analyse.engine import Tracker
from dlint.analyse.steps import BuildOutcome, BuildRequest, Observer
from dlint.model import Dockerfile


class BuilderUnavailable(Exception):
    """No docker CLI here can drive BuildKit: the message is the one line the user sees."""


@dataclass(frozen=True, slots=True)
class Cli:
    """A docker CLI that can drive BuildKit, and how to ask it to build."""

    path: str
    version: str
    buildx: bool

    def build_command(self) -> list[str]:
        return [self.path, "buildx", "build", "--load"] if self.buildx else [self.path, "build"]


def find_cli() -> Cli:
    candidates: list[str] = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        path = shutil.which("docker", path=directory or ".")
        if path and all(os.path.realpath(c) != os.path.realpath(path) for c in candidates):
            candidates.append(path)
    if not candidates:
        raise BuilderUnavailable("no `docker` CLI on PATH: the buildkit builder needs one (or use --builder classic)")
    seen = _ask(candidates)
    for cli in seen:
        if cli.buildx or _major(cli.version) < 23:
            return cli
    first = seen[0]
    raise BuilderUnavailable(
        f"{first.path} (Docker CLI {first.version}) refuses DOCKER_BUILDKIT=1 without the buildx plugin: "
        "install docker-buildx, or use --builder classic"
    )


def _ask(paths: list[str]) -> list[Cli]:
    """Each CLI's version and whether it has buildx, all asked at once (each question is a start of a CLI, 20-40 ms).

    `docker --version` names the client without asking an engine, which may be slow to answer or absent.
    """
    started: list[tuple[subprocess.Popen, subprocess.Popen | None]] = []
    quiet = {"stderr": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
    try:
        for path in paths:  # in the try: if one cannot start, those started are stopped
            version = subprocess.Popen([path, "--version"], stdout=subprocess.PIPE, text=True, errors="replace",
                                       **quiet)
            started.append((version, None))
            started[-1] = (version, subprocess.Popen([path, "buildx", "version"], stdout=subprocess.DEVNULL, **quiet))
        clis = []
        for path, (version, buildx) in zip(paths, started):
            out, has_buildx = "", False
            try:
                out = version.communicate(timeout=30)[0]  # a version read stays read if buildx then hangs
                has_buildx = buildx is not None and buildx.wait(timeout=30) == 0
            except subprocess.TimeoutExpired:
                pass
            found = _VERSION.search(out)
            clis.append(Cli(path, found[1] if found else "unknown", has_buildx))
        return clis
    finally:
        for proc in (p for pair in started for p in pair if p is not None):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


_VERSION = re.compile(r"version v?(\d[^\s,]*)")  # "Docker version 20.10.24+dfsg1, build 297e128"


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
