"""Shared fixtures: the real Docker Engine for `engine`-marked tests, and the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
BASE_IMAGES = ("debian:bookworm-slim", "dlint-test/busybox:latest")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"../shared/corpus not found: {CORPUS}")
    return CORPUS


def _unavailable(reason: str) -> NoReturn:
    """Skip, unless CI said an engine must be there (scripts/test sets DLINT_REQUIRE_ENGINE=1)."""
    if os.environ.get("DLINT_REQUIRE_ENGINE") == "1":
        pytest.fail(f"DLINT_REQUIRE_ENGINE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine():
    """A docker SDK client for the engine `docker.from_env()` finds, with the local base images."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no engine"
        _unavailable(f"no Docker Engine reachable ({exc}); run scripts/docker-test-env start")
    missing = [name for name in BASE_IMAGES if not client.images.list(name=name)]
    if missing:
        _unavailable(f"base images {', '.join(missing)} missing; run scripts/docker-test-env start")
    yield client
    client.close()
