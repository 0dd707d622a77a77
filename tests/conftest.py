"""Shared fixtures: the real Docker Engine for `engine`-marked tests, the shared corpus, the layer cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from machine import CORPUS, unavailable

REPO = Path(__file__).resolve().parents[1]
BASE_IMAGES = ("debian:bookworm-slim", "dlint-test/busybox:latest")


@pytest.fixture(scope="session", autouse=True)
def layer_cache(tmp_path_factory) -> Iterator[Path]:
    """`dlint analyse`'s layer cache in the test session's own directory, never the user's ~/.cache."""
    path = tmp_path_factory.mktemp("layer-cache")
    before = os.environ.get("DLINT_CACHE_DIR")
    os.environ["DLINT_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        del os.environ["DLINT_CACHE_DIR"]
    else:
        os.environ["DLINT_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"../shared/corpus not found: {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def engine():
    """A docker SDK client for the engine `docker.from_env()` finds, with the local base images."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no engine"
        unavailable(f"no Docker Engine reachable ({exc}); run scripts/docker-test-env start")
    missing = [name for name in BASE_IMAGES if not client.images.list(name=name)]
    if missing:
        unavailable(f"base images {', '.join(missing)} missing; run scripts/docker-test-env start")
    yield client
    client.close()
