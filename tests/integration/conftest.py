"""Builds shared by several integration test modules: the slow ones (apt) run once per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from analyse_support import FIXTURES, KeptImages, Run, dlint, engine_state

if os.path.ismount("/sys/fs/cgroup/unified"):  # hybrid cgroups: see podman-runc.conf (every podman the tests start)
    os.environ.setdefault("CONTAINERS_CONF", str(Path(__file__).with_name("podman-runc.conf")))


@dataclass(frozen=True)
class EngineRun:
    run: Run
    before: tuple[frozenset[str], frozenset[str]]  # engine_state() around the run
    after: tuple[frozenset[str], frozenset[str]]


@pytest.fixture(scope="session")
def apt_split(engine) -> EngineRun:
    """`dlint analyse --no-cache --format json` of the split `apt-get update` fixture, once per session."""
    before = engine_state(engine)
    run = dlint("analyse", str(FIXTURES / "apt-split" / "Dockerfile"), "--no-cache", "--rm",
                "--format", "json")
    return EngineRun(run, before, engine_state(engine))


@dataclass(frozen=True)
class ReportRun:
    engine_run: EngineRun
    json: dict
    html: str
    markdown: str


@pytest.fixture(scope="session")
def waste_run(engine, tmp_path_factory) -> ReportRun:
    """The waste fixture analysed once, with several --format/--output pairs in the one run."""
    out = tmp_path_factory.mktemp("waste-report")
    before = engine_state(engine)
    run = dlint("analyse", str(FIXTURES.parent / "waste" / "Dockerfile"), "--max-size", "100MB", "--rm",
                "--format", "json", "--output", str(out / "report.json"), "--format", "html", "-o",
                str(out / "report.html"), "--format=markdown", f"--output={out / 'summary.md'}")
    assert run.returncode == 0, run.stderr
    return ReportRun(EngineRun(run, before, engine_state(engine)), json.loads((out / "report.json").read_text()),
                     (out / "report.html").read_text(), (out / "summary.md").read_text())


@pytest.fixture
def kept_images(engine):
    """Images a test asked dlint to keep (the built image stays unless --rm), removed afterwards."""
    kept = KeptImages(engine)
    yield kept
    kept.remove()
