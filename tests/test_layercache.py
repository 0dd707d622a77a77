"""The layer cache: a warm analyse reads the image's layers from disk, and a damaged cache is only a miss."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from dlint.analyse import layercache, waste
from dlint.analyse.saved import Layer, Node, SavedImage


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def image(tag: str = "a") -> SavedImage:
    """Two layers: the second deletes a file of the first, overwrites another, and hides a directory."""
    base = Layer(nodes={
        "etc": Node("dir", meta=(0o755, 0, 0)),
        "etc/big": Node("file", 5000, hashlib.sha256(b"big").digest(), (0o644, 0, 0)),
        "etc/same": Node("file", 70, hashlib.sha256(b"same").digest(), (0o644, 0, 0)),
        "etc/alias": Node("link", meta=(0o644, 0, 0), target="etc/same"),
        "etc/sym": Node("other", 8, meta=(0o777, 0, 0)),
        "cache/x": Node("file", 300, hashlib.sha256(b"x").digest(), (0o600, 1000, 1000)),
    })
    top = Layer(nodes={"etc/same": Node("file", 70, hashlib.sha256(b"same").digest(), (0o600, 0, 0))},
                whiteouts=["etc/big"], opaque=["cache"], compressed_size=123)
    config = {"rootfs": {"type": "layers", "diff_ids": [digest(tag + "0"), digest(tag + "1")]},
              "history": [{"created_by": "COPY . /"}, {"created_by": "RUN rm /etc/big"}]}
    return SavedImage(config, [base, top], digest(tag + "config"), "the engine's save stream")


class Reader:
    """The engine's save stream, counting how often it is read."""

    def __init__(self, saved: SavedImage) -> None:
        self.saved = saved
        self.reads = 0

    def __call__(self) -> SavedImage:
        self.reads += 1
        return self.saved


def test_the_second_run_reads_the_layers_from_the_cache_and_measures_the_same_waste(tmp_path):
    saved = image()
    read = Reader(saved)
    first = layercache.saved_image(saved.id, read, tmp_path)
    second = layercache.saved_image(saved.id, read, tmp_path)
    assert read.reads == 1
    assert first.source == "the engine's save stream" and second.source == "dlint's layer cache"
    assert (second.config, second.layers, second.id) == (saved.config, saved.layers, saved.id)
    owners = [None, None]
    assert waste.measure(second, owners) == waste.measure(saved, owners)


def test_images_sharing_a_base_layer_store_it_once(tmp_path):
    one, other = image("a"), image("b")
    other.config["rootfs"]["diff_ids"][0] = one.config["rootfs"]["diff_ids"][0]
    for saved in (one, other):
        layercache.saved_image(saved.id, Reader(saved), tmp_path)
    assert len(list((tmp_path / "layers-v1").iterdir())) == 3
    assert len(list((tmp_path / "configs-v1").iterdir())) == 2


def layer_file(root: Path, saved: SavedImage, index: int = 1) -> Path:
    return root / "layers-v1" / (saved.config["rootfs"]["diff_ids"][index][7:] + ".json")


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(b"\xff\xfe not json"),
    lambda p: p.write_text("[" * 100_000),
    lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "diff_id": "sha256:" + "0" * 64})),
    lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "nodes": [["etc/x", "file", -1, None, 0, 0, 0, None]]})),
    lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "nodes": [["etc/x", "pipe", 1, None, 0, 0, 0, None]]})),
    lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "nodes": [["etc/x", "file", 1, "zz", 0, 0, 0, None]]})),
    lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "whiteouts": [1]})),
    lambda p: p.unlink(),
    lambda p: (p.unlink(), os.mkfifo(p)),  # a FIFO: opened without blocking, then refused
    lambda p: (p.unlink(), p.mkdir()),
    lambda p: (p.unlink(), p.symlink_to("/dev/zero")),
], ids=["binary", "deep", "other-diff-id", "negative-size", "unknown-type", "bad-digest", "bad-whiteout", "missing",
        "fifo", "directory", "symlink"])
def test_a_damaged_entry_is_a_miss_read_again_from_the_engine(tmp_path, damage):
    saved = image()
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    damage(layer_file(tmp_path, saved))
    again = layercache.saved_image(saved.id, read, tmp_path)
    assert read.reads == 2 and again.layers == saved.layers and again.source == "the engine's save stream"


def test_a_repaired_entry_is_a_hit_again(tmp_path):
    saved = image()
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    layer_file(tmp_path, saved).write_text("{}")
    layercache.saved_image(saved.id, read, tmp_path)  # a miss that writes the entry anew
    assert layercache.saved_image(saved.id, read, tmp_path).source == "dlint's layer cache"
    assert read.reads == 2


def test_names_from_a_hostile_config_never_become_paths(tmp_path):
    saved = image()
    saved.config["rootfs"]["diff_ids"][1] = "sha256:../../../escape"
    read = Reader(saved)
    for _ in range(2):
        assert layercache.saved_image(saved.id, read, tmp_path / "cache").layers == saved.layers
    assert read.reads == 2  # nothing stored for an image it cannot name
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_an_image_id_that_is_no_digest_is_read_every_time(tmp_path):
    saved = image()
    read = Reader(saved)
    for _ in range(2):
        layercache.saved_image("latest", read, tmp_path)
    assert read.reads == 2 and list(tmp_path.iterdir()) == []


def test_a_cache_that_cannot_be_written_costs_nothing_but_the_speed(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    saved = image()
    read = Reader(saved)
    for _ in range(2):
        assert layercache.saved_image(saved.id, read, blocker / "dlint").layers == saved.layers
    assert read.reads == 2


def test_the_least_recently_used_entries_go_once_the_directory_is_full(tmp_path, monkeypatch):
    old, new = image("old"), image("new")
    layercache.saved_image(old.id, Reader(old), tmp_path)
    entries = [p for p in tmp_path.rglob("*.json")]
    for p in entries:
        os.utime(p, (1_000_000, 1_000_000))
    monkeypatch.setattr(layercache, "MAX_BYTES", sum(p.stat().st_size for p in entries) + 1)
    layercache.saved_image(new.id, Reader(new), tmp_path)
    names = {p.stem for p in tmp_path.rglob("*.json")}
    assert new.id[7:] in names and old.id[7:] not in names
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.rglob("*"))


def test_the_directory_follows_dlint_cache_dir_then_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DLINT_CACHE_DIR", str(tmp_path / "explicit"))
    assert layercache.directory() == tmp_path / "explicit"
    monkeypatch.delenv("DLINT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert layercache.directory() == tmp_path / "xdg" / "dlint"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert layercache.directory() == tmp_path / "home" / ".cache" / "dlint"
