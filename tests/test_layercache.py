"""The layer cache: a warm analyse reads the image's layers from disk, and a damaged cache is only a miss."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
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
    assert len(list((tmp_path / f"layers-v{layercache.FORMAT}").iterdir())) == 3
    assert len(list((tmp_path / f"images-v{layercache.FORMAT}").iterdir())) == 2


def test_what_depends_on_the_stored_blob_stays_with_its_image(tmp_path):
    """The same layers stored gzip-compressed by one engine and plain by another: each image keeps its own sizes,
    and the id its save stream gave (which can differ from the engine's id for it)."""
    plain, gzipped = image(), image()
    plain.layers = [replace(layer, compressed_size=None) for layer in plain.layers]
    plain.id, gzipped.id = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    for engine_id, saved in (("sha256:" + "a" * 64, plain), ("sha256:" + "b" * 64, gzipped)):
        layercache.saved_image(engine_id, Reader(saved), tmp_path)
    warm_plain = layercache.saved_image("sha256:" + "a" * 64, Reader(plain), tmp_path)
    warm_gzipped = layercache.saved_image("sha256:" + "b" * 64, Reader(gzipped), tmp_path)
    assert [layer.compressed_size for layer in warm_plain.layers] == [None, None]
    assert [layer.compressed_size for layer in warm_gzipped.layers] == [None, 123]
    assert (warm_plain.id, warm_gzipped.id) == (plain.id, gzipped.id)


def layer_file(root: Path, saved: SavedImage, index: int = 1) -> Path:
    return root / f"layers-v{layercache.FORMAT}" / (saved.config["rootfs"]["diff_ids"][index][7:] + ".json")


def image_file(root: Path, saved: SavedImage) -> Path:
    return root / f"images-v{layercache.FORMAT}" / (saved.id[7:] + ".json")


def rewritten(change):
    """Damage that keeps the entry's checksum right: only the reader's own checks can refuse it."""
    def damage(path: Path) -> None:
        data = json.loads(path.read_bytes().partition(b"\n")[2])
        body = json.dumps(change(data)).encode()
        path.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    return damage


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[data.index(b"5000")] = ord("9")  # one size in the body: the checksum no longer matches
    path.write_bytes(bytes(data))


ROW = ["etc/x", "file", 1, None, 0, 0, 0, None]


LAYER_DAMAGE = [
    lambda p: p.write_bytes(b"\xff\xfe not json"),
    rewritten(lambda d: {**d, "diff_id": "sha256:" + "0" * 64}),
    rewritten(lambda d: {**d, "nodes": [[*ROW[:2], -1, *ROW[3:]]]}),
    rewritten(lambda d: {**d, "nodes": [[ROW[0], "pipe", *ROW[2:]]]}),
    rewritten(lambda d: {**d, "nodes": [[ROW[0], ["file"], *ROW[2:]]]}),  # unhashable: no TypeError
    rewritten(lambda d: {**d, "nodes": [[*ROW[:3], "zz", *ROW[4:]]]}),
    rewritten(lambda d: {**d, "whiteouts": [1]}),
    lambda p: p.write_bytes(hashlib.sha256(b"[" * 100_000).hexdigest().encode() + b"\n" + b"[" * 100_000),
    lambda p: p.unlink(),
    lambda p: (p.unlink(), os.mkfifo(p)),  # a FIFO: refused on its stat, never opened to block
    lambda p: (p.unlink(), p.mkdir()),
    lambda p: (p.unlink(), p.symlink_to("/dev/zero")),
]
LAYER_DAMAGE_IDS = ["binary", "other-diff-id", "negative-size", "unknown-type", "unhashable-type", "bad-digest",
                    "bad-whiteout", "deep", "missing", "fifo", "directory", "symlink"]
IMAGE_DAMAGE = [
    rewritten(lambda d: {**d, "config": {**d["config"], "history": 5}}),
    rewritten(lambda d: {**d, "config": {**d["config"], "history": [1, 2]}}),
    rewritten(lambda d: {**d, "compressed_sizes": [None]}),
    rewritten(lambda d: {**d, "id": "sha256:" + "0" * 64}),
]
IMAGE_DAMAGE_IDS = ["history-not-a-list", "history-of-numbers", "sizes-of-another-image", "another-id"]


@pytest.mark.parametrize(
    ("entry", "damage"), [(layer_file, d) for d in LAYER_DAMAGE] + [(image_file, d) for d in IMAGE_DAMAGE],
    ids=[f"layer-{i}" for i in LAYER_DAMAGE_IDS] + [f"image-{i}" for i in IMAGE_DAMAGE_IDS])
def test_a_damaged_entry_is_a_miss_read_again_from_the_engine(tmp_path, entry, damage):
    saved = image()
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    damage(entry(tmp_path, saved))
    again = layercache.saved_image(saved.id, read, tmp_path)
    assert read.reads == 2 and again.layers == saved.layers and again.source == "the engine's save stream"


def test_one_flipped_byte_is_a_miss_not_another_size(tmp_path):
    saved = image()
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    flip(layer_file(tmp_path, saved, 0))
    again = layercache.saved_image(saved.id, read, tmp_path)
    assert read.reads == 2 and again.layers[0].nodes["etc/big"].size == 5000


def test_planted_links_are_never_followed_to_write_or_delete(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("the user's")
    with open(outside / "big.bin", "wb") as f:
        f.truncate(600 << 20)  # sparse: over MAX_BYTES as the folder's size
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"images-v{layercache.FORMAT}").symlink_to(outside)
    (cache / f"layers-v{layercache.FORMAT}").symlink_to(outside)
    monkeypatch.setattr(layercache, "MAX_BYTES", 1)
    saved = image()
    read = Reader(saved)
    for _ in range(2):
        layercache.saved_image(saved.id, read, cache)
    assert read.reads == 2  # no cache at all rather than one through the links
    assert sorted(p.name for p in outside.iterdir()) == ["big.bin", "precious.txt"]


def test_an_entry_that_is_a_planted_link_is_a_miss(tmp_path):
    """A link in place of an entry, even to a valid one elsewhere, is read through never: the image is read again."""
    saved = image()
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    entry = layer_file(tmp_path, saved)
    elsewhere = tmp_path / "elsewhere.json"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert layercache.saved_image(saved.id, read, tmp_path).source != "dlint's layer cache"
    assert read.reads == 2


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


def test_equal_nodes_read_from_the_cache_are_one_object_as_from_the_layer(tmp_path):
    """A node per path of an empty file or directory: ~140 bytes each, when one object serves them all."""
    empty = hashlib.sha256(b"").digest()
    nodes = {f"d/f{i}": Node("file", 0, empty, (0o644, 0, 0)) for i in range(3)}
    saved = image()
    saved.layers[0] = Layer(nodes={**saved.layers[0].nodes, **nodes, "e": Node("dir", meta=(0o755, 0, 0))})
    read = Reader(saved)
    layercache.saved_image(saved.id, read, tmp_path)
    again = layercache.saved_image(saved.id, read, tmp_path).layers[0].nodes
    assert read.reads == 1 and again["d/f0"] is again["d/f1"] is again["d/f2"] and again["etc"] is again["e"]
    assert again["etc/big"] == saved.layers[0].nodes["etc/big"]
