"""InvalidBaseImagePlatform (DLB015) on a real build: a base image made for another architecture is reported
on its FROM line; one for the engine's own platform is not. The foreign base is loaded from a docker-archive
written here (no registry), and never run: the fixture only COPYs onto it."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid

import pytest
from analyse_support import dlint

pytestmark = pytest.mark.engine


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _archive(tag: str, architecture: str, variant: str | None) -> bytes:
    """A one-layer docker-archive whose config names `architecture` (what `docker save` of a foreign image holds)."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        _member(tar, "hello.txt", b"hello\n")
    diff_id = "sha256:" + hashlib.sha256(layer.getvalue()).hexdigest()
    config = {"architecture": architecture, "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "history": [{"created_by": "test"}]}
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config).encode()
    name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        _member(tar, name, config_bytes)
        _member(tar, "layer/layer.tar", layer.getvalue())
        _member(tar, "manifest.json", json.dumps([{"Config": name, "RepoTags": [tag], "Layers": ["layer/layer.tar"]}]).encode())
    return out.getvalue()


@pytest.fixture
def base(engine):
    """Load a base image for a given architecture; every one loaded is removed afterwards."""
    loaded: list[str] = []

    def load(architecture: str, variant: str | None = None) -> str:
        tag = f"dlint-test/platform-{architecture}:{uuid.uuid4().hex[:12]}"
        engine.images.load(_archive(tag, architecture, variant))
        loaded.append(tag)
        return tag

    yield load
    for tag in loaded:
        engine.images.remove(tag, force=True)


def _analyse(tmp_path, from_line: str) -> list[dict]:
    (tmp_path / "Dockerfile").write_text(f"# a base image\n{from_line}\nCOPY note.txt /srv/\n", encoding="utf-8")
    (tmp_path / "note.txt").write_text("note\n", encoding="utf-8")
    run = dlint("analyse", str(tmp_path / "Dockerfile"), "--rm", "--no-waste", "--format", "json")
    assert run.returncode == 0, run.stderr
    return [f for f in run.data["findings"] if f["code"] == "DLB015"]


def test_a_base_for_another_architecture_is_reported_on_its_from_line(engine, base, tmp_path):
    other = "arm64" if engine.version()["Arch"] != "arm64" else "amd64"
    tag = base(other, "v8" if other == "arm64" else None)
    (finding,) = _analyse(tmp_path, f"FROM {tag}")
    assert finding["line"] == 2
    assert f"linux/{other}" in finding["message"] and tag in finding["message"]


def test_a_base_for_the_engines_platform_is_not(engine, base, tmp_path):
    tag = base(engine.version()["Arch"])
    assert _analyse(tmp_path, f"FROM {tag}") == []
