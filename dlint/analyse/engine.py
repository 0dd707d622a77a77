"""The Docker Engine connection, and the clean-up of everything a run creates on it.

`dlint analyse` leaves the engine as `docker build` would: the built image and
its intermediate images (the classic builder's cache) stay, so the next build
hits the cache. What dlint adds is recorded here as it appears and removed at
the end, also after a failed build or Ctrl-C: every container (the classic
builder's intermediates) and, for trackers that do not keep images
(`--rm`, the `--cache-probe` rebuilds), the images produced. Images that
existed before the run (cache hits, base images) are never touched.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, DockerException, NotFound

from dlint.output import clipped

DEFAULT_HOST = "unix:///var/run/docker.sock"


class EngineUnreachable(Exception):
    """No engine answers: the message is the one line the user sees."""


@dataclass
class Engine:
    """A connected engine."""

    client: docker.DockerClient

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    @functools.cached_property
    def version(self) -> dict:
        """The engine's `/version` answer, asked once per run (which engine, which platform)."""
        return self.client.version()


def connect() -> Engine:
    """The engine `docker.from_env()` finds (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH)."""
    host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    try:
        client = docker.from_env()
        client.ping()
    except (DockerException, OSError) as exc:
        raise EngineUnreachable(
            f"cannot reach a Docker Engine at {host}: start one (e.g. `sudo systemctl start docker` "
            f"or scripts/docker-test-env start) or set DOCKER_HOST ({_reason(exc)})"
        ) from None
    return Engine(client)


def _reason(exc: Exception) -> str:
    """The innermost cause, without docker-py's nested retry wrappers."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("Error while fetching server API version: ")
    return clipped(text, 120, "...")


@dataclass
class Tracker:
    """What this run created on the engine, in creation order."""

    api: docker.APIClient
    keep_images: bool
    images_before: frozenset[str]  # full ids ("sha256:...") of every image, intermediates included
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # full or short ids reported by the builder

    @classmethod
    def start(cls, engine: Engine, keep_images: bool) -> Tracker:
        before = frozenset(engine.api.images(all=True, quiet=True))
        return cls(engine.api, keep_images, before)

    def existed(self, image_id: str) -> bool:
        short = image_id.removeprefix("sha256:")
        return any(i.removeprefix("sha256:").startswith(short) for i in self.images_before)

    def container(self, container_id: str) -> None:
        if container_id not in self.containers:
            self.containers.append(container_id)

    def image(self, image_id: str) -> None:
        """Record an image the build produced; a cache hit (it existed before) is not ours."""
        if not self.existed(image_id) and image_id not in self.images:
            self.images.append(image_id)

    def clean(self) -> list[str]:
        """Remove what we created; returns one line per thing that could not be removed.

        Ctrl-C is ignored meanwhile: an interrupted clean-up is what leaves
        the engine littered.
        """
        problems: list[str] = []
        with _ignoring_sigint():
            for cid in reversed(self.containers):
                self._remove(problems, f"container {cid[:12]}", self.api.remove_container, cid, force=True)
            self.containers.clear()
            if not self.keep_images:
                # Newest first: removing an untagged image also prunes its untagged parents.
                for iid in reversed(self.images):
                    self._remove(problems, f"image {iid.removeprefix('sha256:')[:12]}", self.api.remove_image, iid)
                self.images.clear()
        return problems

    @staticmethod
    def _remove(problems: list[str], what: str, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except NotFound:
            pass  # removed already (forcerm, or pruned with its child)
        except APIError as exc:
            problems.append(f"could not remove {what}: {exc.explanation or exc}")


@contextlib.contextmanager
def _ignoring_sigint() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to guard
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
