"""Running `dlint analyse` as a user does (a subprocess), and looking at the engine around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "analyse"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict:
        return json.loads(self.stdout)


def dlint(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    """`dlint ARGS`; an analyse run that names no --builder gets the classic one, which the step/probe tests
    were written against (BuildKit has its own tests, and test_builder_auto the default)."""
    builds = not any(a.startswith(("--builder", "--archive", "--image")) for a in args)  # those two build nothing
    if args[:1] == ("analyse",) and builds:
        args = (*args, "--builder", "classic")
    proc = subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def engine_state(client) -> tuple[frozenset[str], frozenset[str]]:
    """Every container (running or not) and every image (intermediate ones included)."""
    containers = frozenset(c["Id"] for c in client.api.containers(all=True))
    images = frozenset(client.api.images(all=True, quiet=True))
    return containers, images


@contextmanager
def imported_image(client, rootfs: bytes, name: str) -> Iterator[str]:
    """A data-only image `name` (`repository:tag`) imported from a root filesystem tar, removed afterwards.

    Imported, never run, so it needs no shell or base image.
    """
    repository, _, tag = name.partition(":")
    client.api.import_image_from_data(rootfs, repository=repository, tag=tag or "latest")
    try:
        yield name
    finally:
        client.images.remove(name)


def by_line(data: dict) -> dict[int, dict]:
    return {step["line"]: step for step in data["steps"]}


class KeptImages:
    """Images a run left as `docker build` would; removed after the test, newest first."""

    def __init__(self, client) -> None:
        self.client = client
        self.before = engine_state(client)[1]
        self.ids: list[str] = []

    def add(self, data: dict) -> None:
        ids = [s["image_id"] for s in data["steps"] if s["image_id"]]
        if data["image"]:
            ids.append(data["image"]["id"])
        self.ids.extend(i for i in ids if i not in self.before and i not in self.ids)

    def remove(self) -> None:
        from docker.errors import APIError

        for image_id in reversed(self.ids):
            try:
                self.client.api.remove_image(image_id)
            except APIError:
                pass  # pruned with its child already
