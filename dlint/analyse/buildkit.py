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
from typing import TYPE_CHECKING

from dlint.analyse.buildkitlog import REFUSAL, ProgressReader
from dlint.analyse.steps import BuildOutcome, BuildRequest, Observer
from dlint.model import Dockerfile

if TYPE_CHECKING:
    from dlint.analyse.engine import Tracker


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


class CliSearch:
    """Every `docker` CLI on PATH, asked for its version and buildx when this is made; answer() picks one.

    The asking overlaps dlint's own start-up (linting, the SDK import, the
    engine connection): each question is a start of a CLI, 20-40 ms. close()
    stops whatever has not answered.
    """

    def __init__(self) -> None:
        self.paths: list[str] = []
        for directory in os.environ.get("PATH", "").split(os.pathsep):
            path = shutil.which("docker", path=directory or ".")
            if path and all(os.path.realpath(p) != os.path.realpath(path) for p in self.paths):
                self.paths.append(path)
        self._asked: list[tuple[subprocess.Popen | None, subprocess.Popen | None]] = []
        quiet = {"stderr": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
        try:
            for path in self.paths:
                version = buildx = None
                try:
                    version = subprocess.Popen([path, "--version"], stdout=subprocess.PIPE, text=True,
                                               errors="replace", **quiet)
                    buildx = subprocess.Popen([path, "buildx", "version"], stdout=subprocess.DEVNULL, **quiet)
                except OSError:  # not a program after all, or gone meanwhile: what did not start answers nothing
                    pass
                finally:
                    self._asked.append((version, buildx))  # recorded even when interrupted, so close() stops it
        except BaseException:
            self.close()
            raise

    def answer(self) -> Cli:
        """The first CLI on PATH with buildx or older than 23 (those have BuildKit built in)."""
        clis = [_answer(path, version, buildx) for path, (version, buildx) in zip(self.paths, self._asked)]
        known = [cli for cli in clis if cli is not None]
        for cli in known:
            if cli.buildx or _major(cli.version) < 23:
                return cli
        if known:
            first = known[0]
            raise BuilderUnavailable(
                f"{first.path} (Docker CLI {first.version}) refuses DOCKER_BUILDKIT=1 without the buildx plugin: "
                "install docker-buildx, or use --builder classic"
            )
        if clis:
            raise BuilderUnavailable(f"{self.paths[0]} does not answer `docker --version`: the buildkit "
                                     "builder needs a working `docker` CLI (or use --builder classic)")
        raise BuilderUnavailable("no `docker` CLI on PATH: the buildkit builder needs one (or use --builder classic)")

    def close(self) -> None:
        for proc in (p for pair in self._asked for p in pair if p is not None):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()


def _answer(path: str, version: subprocess.Popen | None, buildx: subprocess.Popen | None) -> Cli | None:
    """The CLI as its answers describe it; None when it names no version (then it is no docker CLI dlint can use)."""
    if version is None:
        return None
    out, has_buildx = "", False
    try:
        out = version.communicate(timeout=30)[0]  # a version read stays read if buildx then hangs
        has_buildx = buildx is not None and buildx.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        pass
    found = _VERSION.search(out)
    return Cli(path, found[1], has_buildx) if found else None


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
