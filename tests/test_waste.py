"""Waste accounting (and the save-stream reader under it) on hand-made `docker save` streams of every layout."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from dlint.analyse import waste
from dlint.analyse.saved import Layer, Node, SavedImage, SaveError, open_chunks, read_save
from dlint.analyse.steps import StepRecord
from dlint.analyse.waste import replay

# --- building layers and save archives ------------------------------------------------------


@dataclass
class Entry:
    name: str
    data: bytes | None = None  # None: a directory, or a link when `link` is set
    mode: int = 0o644
    uid: int = 0
    link: str | None = None  # a hard link to this path of the same layer


def layer_tar(*entries: Entry) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.mode, info.uid = e.mode, e.uid
            if e.link is not None:
                info.type, info.linkname = tarfile.LNKTYPE, e.link
                tar.addfile(info)
            elif e.data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size = len(e.data)
                tar.addfile(info, io.BytesIO(e.data))
    return buf.getvalue()


def file(name: str, size: int, seed: str = "", **kw) -> Entry:
    """A file of `size` bytes whose content depends on its name and seed (so two files differ)."""
    block = hashlib.sha256(f"{name}{seed}".encode()).digest()
    return Entry(name, (block * (size // len(block) + 1))[:size], **kw)


def whiteout(path: str) -> Entry:
    parent, _, base = path.rpartition("/")
    return Entry(f"{parent}/.wh.{base}" if parent else f".wh.{base}", b"")


@dataclass
class Image:
    """Layers plus the history rows that made them (created_by, empty_layer)."""

    layers: list[bytes]
    history: list[dict] = field(default_factory=list)

    def config(self) -> bytes:
        plain = [gzip.decompress(layer) if layer[:2] == b"\x1f\x8b" else layer for layer in self.layers]
        diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in plain]  # of the tar, uncompressed
        return json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": self.history}).encode()


def archive(members: list[tuple[str, bytes | str]]) -> bytes:
    """A tar of regular files (bytes) and symbolic links (str: the target), in the order given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def legacy_save(image: Image) -> bytes:
    """Engine < 25: `<id>/layer.tar` directories in name order (not layer order), manifest.json after them."""
    config = image.config()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    ids = [hashlib.sha256(b"id" + layer).hexdigest() for layer in image.layers]
    members: list[tuple[str, bytes | str]] = []
    for layer_id, layer in sorted(zip(ids, image.layers)):
        members += [(f"{layer_id}/VERSION", b"1.0"), (f"{layer_id}/json", b'{"id": "x"}'),
                    (f"{layer_id}/layer.tar", layer)]
    manifest = [{"Config": config_name, "RepoTags": None, "Layers": [f"{i}/layer.tar" for i in ids]}]
    members += [(config_name, config), ("manifest.json", json.dumps(manifest).encode()), ("repositories", b"{}")]
    return archive(members)


def oci_save(image: Image, compress: bool = True, compat_manifest: bool = True) -> bytes:
    """Engine 25+ / containerd: blobs/sha256/<digest> (gzip layers here), index.json, links from the legacy names."""
    blobs = [gzip.compress(layer, mtime=0) if compress else layer for layer in image.layers]
    config = image.config()

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    manifest = json.dumps({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(b)} for b in blobs],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"digest": digest(manifest)}]}).encode()
    content = {digest(b): b for b in [*blobs, config, manifest]}
    members: list[tuple[str, bytes | str]] = []
    # Legacy names first: on Engine 25 they are symbolic links into blobs/, which arrive later in the stream.
    for b in blobs:
        members.append((f"{digest(b)[7:19]}/layer.tar", f"../blobs/sha256/{digest(b)[7:]}"))
    members += [(f"blobs/sha256/{d[7:]}", data) for d, data in sorted(content.items())]
    members += [("index.json", index), ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')]
    if compat_manifest:
        compat = [{"Config": f"blobs/sha256/{digest(config)[7:]}",
                   "Layers": [f"{digest(b)[7:19]}/layer.tar" for b in blobs]}]
        members.append(("manifest.json", json.dumps(compat).encode()))
    return archive(members)


def chunks(data: bytes, size: int = 7777) -> Iterator[bytes]:
    """Odd-sized chunks, as a socket delivers them: nothing may assume member boundaries."""
    for i in range(0, len(data), size):
        yield data[i:i + size]


def step(line: int, instruction: str) -> StepRecord:
    return StepRecord(index=line, stage="0", line=line, keyword=instruction.split()[0], instruction=instruction)


def owners_for(history: list[dict], steps: list[StepRecord]) -> list[StepRecord | None]:
    """What layers.row_owners gives: one step per history row, newest first."""
    assert len(history) == len(steps)
    return list(reversed(steps))


def read(data: bytes) -> SavedImage:
    """What the engine's save stream gives dlint."""
    return read_save(open_chunks(chunks(data)))


def measure(image: Image, steps: list[StepRecord], save=legacy_save) -> waste.WasteReport:
    return waste.measure(read(save(image)), owners_for(image.history, steps))


ROW = {"created_by": "x"}
EMPTY = {"created_by": "ENV A=1", "empty_layer": True}

# --- the waste a user sees -------------------------------------------------------------------


def test_a_file_written_in_one_run_and_deleted_in_the_next_names_both_lines():
    base, write, remove = step(1, "FROM scratch"), step(3, "RUN make-download"), step(4, "RUN rm /tmp/big")
    image = Image([layer_tar(file("bin/sh", 100)), layer_tar(Entry("tmp"), file("tmp/big", 5000)),
                   layer_tar(Entry("tmp"), whiteout("tmp/big"))], [ROW, ROW, ROW])
    report = measure(image, [base, write, remove])
    [entry] = report.entries
    assert entry.to_dict() == {
        "path": "/tmp/big", "bytes": 5000, "kind": "deleted", "files": 1, "added_line": 3, "removed_line": 4,
        "added_instruction": "RUN make-download", "removed_instruction": "RUN rm /tmp/big",
        "suggestion": "added at line 3, removed at line 4: move the removal into line 3",
    }
    assert (report.stored_bytes, report.wasted_bytes) == (5100, 5000)
    assert report.efficiency == pytest.approx(100 / 5100)
    assert report.wasted_by(write) == 5000 and report.wasted_by(remove) == 0


def test_a_removed_directory_is_one_entry_and_an_opaque_directory_hides_the_lower_content():
    fetch, clean = step(2, "RUN fetch"), step(3, "RUN rm -rf /srv/cache /opt/tool")
    recreate = step(4, "RUN rm -rf /var/lib/x && mkdir /var/lib/x && touch /var/lib/x/new")
    image = Image([
        layer_tar(file("srv/cache/a", 300), file("srv/cache/sub/b", 200), file("srv/keep", 50),
                  file("opt/tool/bin", 70), file("var/lib/x/old1", 40), file("var/lib/x/old2", 60)),
        layer_tar(Entry("srv"), whiteout("srv/cache"), whiteout("opt/tool")),
        layer_tar(Entry("var/lib/x"), Entry("var/lib/x/.wh..wh..opq", b""), file("var/lib/x/new", 10)),
    ], [ROW, ROW, ROW])
    report = measure(image, [fetch, clean, recreate])
    found = {(e.path, e.files, e.bytes, e.removed.line) for e in report.entries}
    assert found == {("/srv/cache", 2, 500, 3), ("/opt/tool/bin", 1, 70, 3), ("/var/lib/x", 2, 100, 4)}
    assert report.wasted_bytes == 670


def test_only_the_hidden_copies_are_waste_n_minus_1():
    """Three writes of one path: two copies are waste, the visible one is not (dive counts all three)."""
    steps = [step(2, "COPY v1 /app/data"), step(3, "COPY v2 /app/data"), step(4, "COPY v3 /app/data")]
    image = Image([layer_tar(file("app/data", 1000, "1")), layer_tar(file("app/data", 2000, "2")),
                   layer_tar(file("app/data", 4000, "3"))], [ROW, ROW, ROW])
    report = measure(image, steps)
    assert [(e.bytes, e.kind, e.added.line, e.removed.line) for e in report.entries] == [
        (2000, "overwritten", 3, 4), (1000, "overwritten", 2, 3)]
    assert report.stored_bytes == 7000 and report.wasted_bytes == 3000
    assert report.entries[1].suggestion == "added at line 2, rewritten at line 3: write the final version once, " \
                                           "at line 2 or line 3"


def test_hard_links_count_once_and_the_data_is_lost_with_the_last_name():
    make, drop_a, drop_b = step(2, "RUN make"), step(3, "RUN rm /a"), step(4, "RUN rm /b")
    image = Image([layer_tar(file("a", 1000), Entry("b", link="a")), layer_tar(whiteout("a")),
                   layer_tar(whiteout("b"))], [ROW, ROW, ROW])
    report = measure(image, [make, drop_a, drop_b])
    assert report.stored_bytes == 1000  # not 2000: the link carries no data
    [entry] = report.entries
    assert (entry.path, entry.bytes, entry.added.line, entry.removed.line) == ("/b", 1000, 2, 4)


def test_a_chmod_or_chown_copy_up_suggests_copy_with_chown_and_chmod():
    copy, chmod, run, chown = (step(2, "COPY app.conf /etc/app.conf"), step(3, "RUN chmod 600 /etc/app.conf"),
                               step(4, "RUN build > /srv/out"), step(5, "RUN chown -R app /srv"))
    out_a, out_b = file("srv/out/a", 700), file("srv/out/b", 300)
    image = Image([
        layer_tar(file("etc/app.conf", 400)),
        layer_tar(file("etc/app.conf", 400, mode=0o600)),
        layer_tar(out_a, out_b),
        layer_tar(Entry("srv/out/a", out_a.data, uid=1000), Entry("srv/out/b", out_b.data, uid=1000)),
    ], [ROW, ROW, ROW, ROW])
    report = measure(image, [copy, chmod, run, chown])
    by_path = {e.path: e for e in report.entries}
    conf, out = by_path["/etc/app.conf"], by_path["/srv/out"]
    assert (conf.kind, conf.bytes, out.kind, out.bytes, out.files) == ("copy-up", 400, "copy-up", 1000, 2)
    assert conf.suggestion == ("added at line 2, rewritten at line 3 only to change owner or mode: "
                               "use `COPY --chown=... --chmod=...` at line 2 instead")
    assert out.suggestion == ("added at line 4, rewritten at line 5 only to change owner or mode: "
                              "do the chown/chmod in the RUN at line 4")


def test_a_directory_replaced_by_a_file_hides_what_was_under_it():
    image = Image([layer_tar(file("opt/x/one", 10), file("opt/x/two", 20)), layer_tar(file("opt/x", 5))],
                  [ROW, ROW])
    report = measure(image, [step(2, "RUN a"), step(3, "RUN b")])
    assert [(e.path, e.files, e.bytes, e.kind) for e in report.entries] == [("/opt/x", 2, 30, "overwritten")]


def test_a_whiteout_and_a_new_file_of_the_same_name_in_one_layer():
    image = Image([layer_tar(file("etc/conf", 100, "old")),
                   layer_tar(Entry("etc"), whiteout("etc/conf"), file("etc/conf", 80, "new"))], [ROW, ROW])
    report = measure(image, [step(2, "RUN a"), step(3, "RUN b")])
    assert [(e.path, e.kind, e.bytes) for e in report.entries] == [("/etc/conf", "deleted", 100)]
    assert report.stored_bytes == 180


def test_base_image_files_deleted_later_say_the_base_keeps_them():
    base = step(1, "FROM debian:bookworm-slim")
    image = Image([layer_tar(file("usr/share/doc/a", 900), file("usr/share/doc/b", 100)),
                   layer_tar(Entry("usr/share"), whiteout("usr/share/doc"))], [ROW, ROW])
    [entry] = measure(image, [base, step(2, "RUN rm -rf /usr/share/doc")]).entries
    assert (entry.path, entry.bytes) == ("/usr/share/doc", 1000)
    assert entry.suggestion == ("added at line 1, removed at line 2: deleting a base-image file keeps the base "
                                "image's copy; if it matters, use a base image without it")


def test_history_rows_without_a_layer_are_skipped_when_mapping_layers_to_steps():
    base, env, write, remove = step(1, "FROM x"), step(2, "ENV A=1"), step(3, "RUN w"), step(4, "RUN rm")
    image = Image([layer_tar(file("f", 1)), layer_tar(file("tmp/t", 50)), layer_tar(whiteout("tmp/t"))],
                  [ROW, EMPTY, ROW, ROW])
    [entry] = measure(image, [base, env, write, remove]).entries
    assert (entry.added.line, entry.removed.line) == (3, 4)
    mismatch = waste.layer_owners({"history": [ROW]}, [base, env], 2)
    assert mismatch == [None, None]  # rows that do not fit the config: no guessing


# --- layouts ---------------------------------------------------------------------------------


def sample() -> tuple[Image, list[StepRecord]]:
    steps = [step(1, "FROM scratch"), step(2, "ENV X=1"), step(3, "RUN get"), step(4, "RUN rm /tmp/big"),
             step(5, "RUN true")]
    image = Image([layer_tar(file("bin/sh", 300)), layer_tar(Entry("tmp"), file("tmp/big", 4000)),
                   layer_tar(whiteout("tmp/big")), b"\0" * 1024],  # `RUN true`: an empty layer
                  [ROW, EMPTY, ROW, ROW, ROW])
    return image, steps


@pytest.mark.parametrize("save", [
    legacy_save,
    lambda image: oci_save(image, compress=True),
    lambda image: oci_save(image, compress=False),
    lambda image: oci_save(image, compress=True, compat_manifest=False),
], ids=["legacy", "oci-gzip", "oci-plain", "oci-index-only"])
def test_every_save_layout_gives_the_same_waste(save):
    image, steps = sample()
    report = measure(image, steps, save)
    assert [(e.path, e.bytes, e.added.line, e.removed.line) for e in report.entries] == [("/tmp/big", 4000, 3, 4)]
    assert (report.stored_bytes, report.wasted_bytes) == (4300, 4000)
    assert [s.line if s else None for s in report.layer_steps] == [1, 3, 4, 5]


def test_gzip_blobs_give_the_compressed_size_and_plain_layers_do_not():
    image, steps = sample()
    gz = measure(image, steps, oci_save)
    assert gz.compressed_size == sum(len(gzip.compress(layer, mtime=0)) for layer in image.layers)
    assert measure(image, steps, legacy_save).compressed_size is None


def test_unreadable_streams_are_one_line_errors():
    image, steps = sample()
    zstd = Image([b"\x28\xb5\x2f\xfd" + b"\0" * 600], [ROW])
    with pytest.raises(SaveError, match="zstd-compressed"):
        measure(zstd, [steps[0]])
    with pytest.raises(SaveError, match="not a readable image archive"):
        read(b"this is not a tar" * 100)
    no_manifest = archive([("abc/layer.tar", layer_tar(file("f", 1)))])
    with pytest.raises(SaveError, match="no manifest"):
        read(no_manifest)
    truncated = legacy_save(image)[:5000]  # the legacy layout writes its manifest last: cut off with the rest
    with pytest.raises(SaveError, match="^the engine's save stream has no manifest naming the image's layers$"):
        read(truncated)


def test_files_deep_in_one_tree_make_each_directory_name_once(monkeypatch):
    """Grouping walks every directory above each lost file: made anew each time, the 4 MB of names above
    2,000 files 2,000 directories deep took 37 s to account."""
    files, depth = 300, 200
    image = Image([layer_tar(*[file("d/" * depth + str(i), 1) for i in range(files)]), layer_tar(whiteout("d"))],
                  [ROW, ROW])
    saved = read(legacy_save(image))
    fs = waste.replay(saved.layers)
    made = []
    dirname = waste.posixpath.dirname
    monkeypatch.setattr(waste.posixpath, "dirname", lambda p: made.append(p) or dirname(p))
    [entry] = waste.account(saved.layers, [None, None], fs).entries
    assert (entry.path, entry.files, entry.bytes) == ("/d" * depth, files, files)
    assert len(made) <= 5 * (files + depth)  # not files * depth


def test_the_waste_of_every_step_is_totalled_in_one_walk_of_the_entries():
    """Each report row asks for its step's waste: summed anew each time, 2,000 steps over 200,000 entries
    took 14 s to render as JSON."""
    class Walked(list):
        walks = 0

        def __iter__(self):
            Walked.walks += 1
            return super().__iter__()

    steps = [step(i, f"RUN s{i}") for i in range(1, 51)]
    entries = Walked(waste.WasteEntry(f"/f{i}", 10, "deleted", 1, steps[i % 5], steps[-1], "") for i in range(100))
    report = waste.WasteReport(1000, 1000, entries, None, steps)
    assert [report.wasted_by(s) for s in steps] == [200] * 5 + [0] * 45
    assert Walked.walks == 1


RANDOM_PATHS = ("a", "a/b", "a/b/c", "a/x", "d", "d/e", "d/e/f", "g")


def random_layer(rng: random.Random) -> Layer:
    """A layer over a few paths that nest: files of a few sizes and contents, hard links (to anything, or
    nothing), directories, symbolic links, whiteouts and opaque directories."""
    layer = Layer()
    for path in rng.sample(RANDOM_PATHS, rng.randint(0, len(RANDOM_PATHS))):
        kind = rng.choice(["file", "file", "link", "link", "dir", "other"])
        meta = (rng.choice([0o644, 0o755]), 0, 0)
        if kind == "file":
            layer.nodes[path] = Node("file", rng.randint(0, 3), bytes([rng.randint(0, 2)]), meta)
        elif kind == "link":
            layer.nodes[path] = Node("link", meta=meta, target=rng.choice([*RANDOM_PATHS, ""]))
        else:
            layer.nodes[path] = Node(kind, meta=meta)  # type: ignore[arg-type]
    layer.whiteouts = rng.sample(RANDOM_PATHS, rng.randint(0, 2))
    layer.opaque = rng.sample(RANDOM_PATHS, rng.randint(0, 1))
    return layer


@pytest.mark.parametrize("seed", range(4))
def test_every_stored_byte_is_shown_or_lost_once_in_random_images(seed):
    """N-1 accounting: each file's data (hard links once) is what the final view reaches or one loss, never
    both nor neither; a name count that missed a link lost data that is still shown, or lost it twice."""
    rng = random.Random(seed)
    for _ in range(3000):
        layers = [random_layer(rng) for _ in range(rng.randint(1, 5))]
        fs = replay(layers)
        shown = {fs._inode(index, path, fs.node(path, index)) for path, index in fs.visible.items()} - {None}
        reached = sum(fs.node(path, index).size for index, path in shown)
        assert reached + sum(loss.bytes for loss in fs.losses) == sum(layer.stored_bytes for layer in layers)
