"""--archive input: image archives and OCI layout directories read from disk, without an engine."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET

import pytest

from dlint.analyse.archive import read_archive
from dlint.analyse.saved import SaveError
from tests.oci_layout import to_oci_dir, to_oci_tar
from tests.peak import run_measured
from tests.test_waste import Entry, Image, archive, file, layer_tar, legacy_save, oci_save, sample, whiteout


def unpack(data: bytes, into) -> None:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")


def test_a_docker_archive_an_oci_tar_a_gzipped_archive_and_an_oci_directory_give_the_same_layers(tmp_path):
    image, _ = sample()
    (tmp_path / "docker.tar").write_bytes(legacy_save(image))
    (tmp_path / "oci.tar").write_bytes(oci_save(image, compat_manifest=False))
    (tmp_path / "docker.tar.gz").write_bytes(gzip.compress(legacy_save(image)))
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    sizes = {name: [layer.stored_bytes for layer in read_archive(str(tmp_path / name)).layers]
             for name in ("docker.tar", "oci.tar", "docker.tar.gz", "ocidir")}
    assert len(set(map(tuple, sizes.values()))) == 1
    assert sizes["docker.tar"] == [300, 4000, 0, 0]  # bin/sh; tmp/big; its whiteout; an empty layer


def multi_image_archive(tmp_path):
    image, _ = sample()
    with tarfile.open(fileobj=io.BytesIO(legacy_save(image))) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    two = [dict(manifest[0], RepoTags=["app:1"]), dict(manifest[0], RepoTags=["tools:latest"], Layers=manifest[0]["Layers"][:2])]
    buf = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(legacy_save(image))) as src, tarfile.open(fileobj=buf, mode="w") as out:
        for member in src:
            data = json.dumps(two).encode() if member.name == "manifest.json" else None
            if data is not None:
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))
            else:
                out.addfile(member, src.extractfile(member) if member.isreg() else None)
    path = tmp_path / "two.tar"
    path.write_bytes(buf.getvalue())
    return str(path)


def test_a_multi_image_archive_names_its_images_unless_one_is_picked(tmp_path):
    path = multi_image_archive(tmp_path)
    with pytest.raises(SaveError, match=r"^the archive holds 2 images \(app:1, tools:latest\): pick one with --image$"):
        read_archive(path)
    assert len(read_archive(path, "app:1").layers) == 4
    with pytest.raises(SaveError, match=r"lists 4 layers but its manifest 2$"):  # its config is another image's
        read_archive(path, "tools")
    with pytest.raises(SaveError, match=r"no image named 'web'.*app:1, tools:latest"):
        read_archive(path, "web")


def test_a_missing_file_a_truncated_archive_and_a_missing_layer_are_one_line_errors(tmp_path):
    image, _ = sample()
    with pytest.raises(SaveError, match=r"nope\.tar: cannot read: No such file"):
        read_archive(str(tmp_path / "nope.tar"))
    (tmp_path / "cut.tar").write_bytes(legacy_save(image)[:5000])
    with pytest.raises(SaveError, match="no manifest"):
        read_archive(str(tmp_path / "cut.tar"))
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    blobs = sorted((tmp_path / "ocidir" / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    layer = next(p for p in blobs if p.read_bytes()[:2] == b"\x1f\x8b")
    layer.unlink()
    with pytest.raises(SaveError, match="names a layer it does not contain"):
        read_archive(str(tmp_path / "ocidir"))


def test_symbolic_links_in_an_oci_directory_are_not_followed(tmp_path):
    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    outside = tmp_path / "secret"
    outside.write_bytes(b"x" * 10)
    (tmp_path / "ocidir" / "blobs" / "sha256" / ("0" * 64)).symlink_to(outside)
    assert len(read_archive(str(tmp_path / "ocidir")).layers) == 4
    (tmp_path / "notoci").mkdir()
    with pytest.raises(SaveError, match="is not an OCI layout"):
        read_archive(str(tmp_path / "notoci"))


def analyse_archive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", *args],
                          capture_output=True, text=True, timeout=120)


def test_analyse_archive_without_a_dockerfile_shows_each_layer_its_command_cache_bytes_and_waste(tmp_path):
    layers = [layer_tar(file("bin/sh", 300)),
              layer_tar(Entry("var/lib/apt/lists"), file("var/lib/apt/lists/idx", 5000), file("big", 4000)),
              layer_tar(whiteout("big"))]
    history = [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
               {"created_by": "/bin/sh -c #(nop)  ENV X=1", "empty_layer": True},
               {"created_by": "RUN /bin/sh -c apt-get update # buildkit"},
               {"created_by": "RUN /bin/sh -c rm /big\x1b[2J\u202e # buildkit"}]
    (tmp_path / "img.tar").write_bytes(oci_save(Image(layers, history), compat_manifest=False))
    proc = analyse_archive(str(tmp_path / "img.tar"))
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[1].split() == ["1", "300", "B", "0", "B", "/bin/sh", "-c", "#(nop)", "ADD", "file:abc", "in", "/"]
    assert rows[2].split()[:5] == ["2", "9", "kB", "5", "kB"] and rows[2].endswith("apt-get update # buildkit")
    assert rows[3].endswith("rm /big\\x1b[2J\\u202e # buildkit")  # the escape never reaches the terminal
    assert "\x1b" not in proc.stdout
    assert "4.0 kB wasted" in proc.stdout or "4 kB wasted" in proc.stdout
    assert "/big (deleted)" in proc.stdout


def test_analyse_archive_on_a_broken_archive_is_one_line_and_exit_2(tmp_path):
    image, _ = sample()
    (tmp_path / "cut.tar").write_bytes(legacy_save(image)[:5000])
    proc = analyse_archive(str(tmp_path / "cut.tar"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"dlint: the archive {tmp_path / 'cut.tar'} has no manifest naming the image's layers\n"


def test_analyse_archive_refuses_what_it_cannot_honour_in_one_line(tmp_path):
    image, _ = sample()
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    proc = analyse_archive(str(tmp_path / "img.tar"), "--max-size", "1000", "--format", "json")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == ("dlint: --archive does not take --max-size, --format: they need a build or a DOCKERFILE "
                           "to tie the layers to\n")
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "--min-cache-hit-rate", "0.5")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "dlint: --archive does not take --min-cache-hit-rate: it needs a build\n"


@pytest.mark.parametrize("option", [("--max-layers", "0"), ("--baseline", ""), ("--max-size", ""), ("--target", ""),
                                    ("--min-cache-hit-rate", "0"), ("--context", ""), ("--tag", "")])
def test_an_option_given_a_zero_or_an_empty_value_is_refused_as_given(tmp_path, option):
    """The refusals asked whether a value was truthy: `--max-layers 0` or `--baseline ""` on the layer table (no
    DOCKERFILE) was ignored, exit 0, the gate asked for passing unchecked."""
    image, _ = sample()
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    proc = analyse_archive(str(tmp_path / "img.tar"), *option)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith(f"dlint: --archive does not take {option[0]}: it needs a build")


APT = "RUN apt-get update && apt-get install -y curl"
DOCKERFILE = f"FROM debian:bookworm-slim\nWORKDIR /srv\nCOPY big /srv/\n{APT}\nRUN rm /srv/big\nENV X=1\n"


def apt_image() -> Image:
    layers = [layer_tar(file("bin/sh", 300)),
              layer_tar(Entry("srv")),
              layer_tar(file("srv/big", 4000)),
              layer_tar(file("var/lib/apt/lists/idx", 5000), file("usr/bin/curl", 700)),
              layer_tar(whiteout("srv/big"))]
    history = [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
               {"created_by": "WORKDIR /srv"},
               {"created_by": "COPY big /srv/ # buildkit"},
               {"created_by": f"RUN /bin/sh -c {APT.removeprefix('RUN ')} # buildkit"},
               {"created_by": "RUN /bin/sh -c rm /srv/big # buildkit"},
               {"created_by": "ENV X=1", "empty_layer": True}]
    return Image(layers, history)


def test_analyse_archive_with_a_dockerfile_gives_the_step_table_waste_measured_findings_and_budgets(tmp_path):
    (tmp_path / "img.tar").write_bytes(oci_save(apt_image(), compat_manifest=False))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "--format", "json",
                           "--max-step-size", "5kB", "--save-baseline", str(tmp_path / "base.json"))
    assert proc.returncode == 1, proc.stderr  # the apt step is over --max-step-size
    data = json.loads(proc.stdout)
    assert [(s["line"], s["size"], s["cached"], s["seconds"]) for s in data["steps"]] == [
        (1, 300, None, None), (2, 0, None, None), (3, 4000, None, None), (4, 5700, None, None),
        (5, 0, None, None), (6, 0, None, None)]
    assert data["steps"][3]["probes"] == {"/var/lib/apt/lists": 5000}
    assert data["image"]["probes"] == {"/var/lib/apt/lists": 5000}
    assert data["image"]["size"] == 10000 and data["image"]["wasted_bytes"] == 4000
    assert [(w["path"], w["added_line"], w["removed_line"]) for w in data["waste"]] == [("/srv/big", 3, 5)]
    dl3009 = next(f for f in data["findings"] if f["code"] == "DL3009")
    assert (dl3009["line"], dl3009["measured_bytes"]) == (4, 5000)
    assert "--max-step-size: line 4 RUN apt-get update" in proc.stderr
    again = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"),
                            "--baseline", str(tmp_path / "base.json"), "--max-growth", "0")
    assert again.returncode == 0, again.stderr
    assert "HIT" not in again.stdout and "MISS" not in again.stdout
    assert "cache: cache state unknown: the image was built elsewhere" in again.stdout


@pytest.mark.parametrize("growth", [(), ("--max-growth", "5%")])
def test_an_empty_baseline_path_is_one_line_not_a_traceback(tmp_path, growth):
    """`--baseline ""` (an unset CI variable) was taken for no baseline: with --max-growth, an AssertionError."""
    (tmp_path / "img.tar").write_bytes(oci_save(apt_image(), compat_manifest=False))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "--baseline", "", *growth)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", "dlint: --baseline '': an empty path names no file\n")


def test_analyse_archive_with_a_history_longer_than_the_layers_is_one_line_and_writes_nothing(tmp_path):
    image = apt_image()
    image.history.insert(1, {"created_by": "RUN /bin/sh -c make # buildkit"})
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    report = tmp_path / "report.json"
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "-f", "json", "-o", str(report))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"dlint: the archive {tmp_path / 'img.tar'}: the image's history names 6 layers but the "
                           "image has 5: the config does not belong to these layers\n")
    assert not report.exists()
    bare = analyse_archive(str(tmp_path / "img.tar"))
    assert (bare.returncode, bare.stdout, bare.stderr) == (2, "", proc.stderr)


def test_analyse_archive_of_several_images_names_them_unless_one_is_picked(tmp_path):
    path = multi_image_archive(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    proc = analyse_archive(path, str(tmp_path / "Dockerfile"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "dlint: the archive holds 2 images (app:1, tools:latest): pick one with --image\n"
    assert analyse_archive(path, str(tmp_path / "Dockerfile"), "--image", "app:1").returncode == 0


def without_member(data: bytes, drop, replace: dict[str, bytes] | None = None) -> bytes:
    """The archive `data` without the members `drop` picks, and with `replace`'s contents for the named ones."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=buf, mode="w") as out:
        for member in src:
            if drop(member.name):
                continue
            content = (replace or {}).get(member.name)
            if content is not None:
                member.size = len(content)
                out.addfile(member, io.BytesIO(content))
            else:
                out.addfile(member, src.extractfile(member) if member.isreg() else None)
    return buf.getvalue()


def broken(kind: str) -> bytes:
    data = legacy_save(apt_image())
    if kind == "truncated":  # inside the first layer's data
        return data[:3000]
    if kind == "layer missing":
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            first = min(m for m in tar.getnames() if m.endswith("layer.tar"))
        return without_member(data, lambda n: n == first)
    if kind == "no image":
        return without_member(data, lambda n: False, {"manifest.json": b"[]"})
    return without_member(data, lambda n: n.endswith(".json") and n != "manifest.json")  # config missing


@pytest.mark.parametrize(("kind", "message"), [
    ("truncated", r"the archive .*img\.tar is truncated: it ends inside a member"),
    ("layer missing", r"the manifest of the archive .*img\.tar names a layer it does not contain \(\w+/layer\.tar\)"),
    ("no image", r"the archive .*img\.tar has no manifest naming the image's layers"),
    ("config missing", r"the archive .*img\.tar lacks the image config its manifest names \(\w+\.json\)"),
])
def test_a_broken_archive_with_a_dockerfile_is_one_line_exit_2_and_writes_no_report(tmp_path, kind, message):
    (tmp_path / "img.tar").write_bytes(broken(kind))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    report = tmp_path / "report.json"
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "-f", "json", "-o", str(report))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert re.fullmatch(f"dlint: {message}\n", proc.stderr), proc.stderr
    assert not report.exists()


# --- hostile archives: each is one line and exit 2, never a traceback, a hang or a raw control character


ADDRESSED = re.compile(r"(?:blobs/sha256/|)([0-9a-f]{64})(?:\.json|)")


def readdressed(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The archive `data` with `replace`'s contents, each blob named by its digest (`blobs/sha256/<hex>`,
    `<hex>.json`) moved to its new one, and every document and link that names it changed to name that, up to
    index.json and manifest.json: an archive as a tool would write it, not a tampered one."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = [(m, tar.extractfile(m).read() if m.isreg() else None) for m in tar]
    names = {m.name: m.name for m, _ in members}  # original name -> name now
    contents = {m.name: content for m, content in members}
    contents.update(replace)
    links = {m.name: m.linkname for m, _ in members if m.issym()}
    changed = list(replace)
    while changed:
        name = changed.pop()
        found = ADDRESSED.fullmatch(names[name])
        if found is None or hashlib.sha256(contents[name]).hexdigest() == found[1]:
            continue
        old, new = found[1], hashlib.sha256(contents[name]).hexdigest()
        names[name] = names[name].replace(old, new)
        for other, content in contents.items():
            if content is not None and other != name and old.encode() in content:
                contents[other] = content.replace(old.encode(), new.encode())
                changed.append(other)
        links = {n: target.replace(old, new) for n, target in links.items()}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as out:
        for member, _ in members:
            content = contents[member.name]
            if member.issym():
                member.linkname = links[member.name]
            member.name = names[member.name]
            if content is not None:
                member.size = len(content)
            out.addfile(member, None if content is None else io.BytesIO(content))
    return buf.getvalue()


def with_oci_manifest(image: Image, change) -> bytes:
    """An OCI tar of `image` whose manifest blob `change` rewrote (under its new digest, which the index names)."""
    data = oci_save(image, compat_manifest=False)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        docs = {m.name: tar.extractfile(m).read() for m in tar if m.isreg() and m.name.startswith("blobs/")}
    name, manifest = next((n, m) for n, m in ((n, json.loads(d)) for n, d in docs.items() if d.startswith(b"{"))
                          if "layers" in m)
    change(manifest)
    return readdressed(data, {name: json.dumps(manifest).encode()})


@pytest.mark.parametrize(("key", "value"), [("layers", "abc"), ("layers", 5), ("layers", [1, 2]), ("layers", None),
                                            ("config", "x"), ("config", 7), ("config", None)])
def test_an_oci_manifest_of_the_wrong_shape_names_no_layers(tmp_path, key, value):
    image, _ = sample()
    (tmp_path / "img.tar").write_bytes(with_oci_manifest(image, lambda m: m.__setitem__(key, value)))
    with pytest.raises(SaveError, match=r"^the archive .*img\.tar has no manifest naming the image's layers$"):
        read_archive(str(tmp_path / "img.tar"))


@pytest.mark.parametrize("manifests", [5, 1.5, True, "abc", {"digest": "x"}])
def test_an_index_whose_manifests_are_no_list_names_no_layers(tmp_path, manifests):
    """A number there was a TypeError traceback (iterated as a list)."""
    image, _ = sample()
    data = oci_save(image, compat_manifest=False)
    index = json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()
    (tmp_path / "img.tar").write_bytes(without_member(data, lambda n: False, {"index.json": index}))
    with pytest.raises(SaveError, match=r"^the archive .*img\.tar has no manifest naming the image's layers$"):
        read_archive(str(tmp_path / "img.tar"))


@pytest.mark.parametrize("tags", [[1, "a"], [[1]], 5, {"a": 1}, "a"])
def test_repo_tags_that_are_not_a_list_of_names_name_nothing(tmp_path, tags):
    path = multi_image_archive(tmp_path)
    data = open(path, "rb").read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    manifest[1]["RepoTags"] = tags
    (tmp_path / "odd.tar").write_bytes(without_member(data, lambda n: False, {"manifest.json": json.dumps(manifest).encode()}))
    named = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    with pytest.raises(SaveError, match=re.escape(f"holds 2 images ({', '.join(sorted(['app:1', *named]))})")):
        read_archive(str(tmp_path / "odd.tar"))
    assert len(read_archive(str(tmp_path / "odd.tar"), "app:1").layers) == 4  # the other image is still picked


@pytest.mark.parametrize("nested", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000])
def test_json_nested_past_the_interpreter_s_stack_is_named_as_such(tmp_path, nested):
    image, _ = sample()
    (tmp_path / "img.tar").write_bytes(without_member(legacy_save(image), lambda n: False, {"manifest.json": nested}))
    with pytest.raises(SaveError, match=r"^the manifest manifest\.json in the archive .*img\.tar is nested deeper than dlint reads$"):
        read_archive(str(tmp_path / "img.tar"))
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    (tmp_path / "ocidir" / "index.json").write_bytes(nested)
    with pytest.raises(SaveError, match=r"^the index index\.json in the OCI layout .*ocidir is nested deeper than dlint reads$"):
        read_archive(str(tmp_path / "ocidir"))


def with_big_config(image: Image) -> Image:
    """`image` with a 9 MiB comment in its first history row: a config past what dlint reads of one."""
    image.history = [dict(image.history[0], comment="x" * (9 << 20)), *image.history[1:]]
    return image


@pytest.mark.parametrize("layout", ["docker", "oci tar", "oci directory"])
def test_an_image_config_too_large_to_read_says_so_not_that_the_archive_is_unreadable(tmp_path, layout):
    image = with_big_config(sample()[0])
    if layout == "docker":
        (tmp_path / "img").write_bytes(legacy_save(image))
    elif layout == "oci tar":
        (tmp_path / "img").write_bytes(oci_save(image, compat_manifest=False))
    else:
        unpack(oci_save(image, compat_manifest=False), tmp_path / "img")
    with pytest.raises(SaveError, match=r"^the image config \S+ in the (archive|OCI layout) .*img is 9\.0 MiB, "
                                        r"over the 8 MiB dlint reads of a manifest or config$"):
        read_archive(str(tmp_path / "img"))


def test_a_config_that_is_not_json_and_an_index_that_is_a_link_are_named(tmp_path):
    image, _ = sample()
    data = legacy_save(image)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        config = next(n for n in tar.getnames() if n.endswith(".json") and "/" not in n and n != "manifest.json")
    (tmp_path / "img.tar").write_bytes(readdressed(data, {config: b'{"rootfs": '}))
    config = hashlib.sha256(b'{"rootfs": ').hexdigest() + ".json"
    with pytest.raises(SaveError, match=rf"^the image config {config} in the archive .*img\.tar is not valid JSON$"):
        read_archive(str(tmp_path / "img.tar"))
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    (tmp_path / "ocidir" / "index.json").rename(tmp_path / "ocidir" / "real-index.json")
    (tmp_path / "ocidir" / "index.json").symlink_to("real-index.json")
    with pytest.raises(SaveError, match=r"ocidir: index\.json is a symbolic link, not followed"):
        read_archive(str(tmp_path / "ocidir"))


@pytest.mark.parametrize("name", ["{odd}", "[x", "{\"rootfs\": 1}"])
def test_a_layer_whose_first_file_name_starts_like_json_is_still_a_layer(tmp_path, name):
    image, _ = sample()
    image.layers[0] = layer_tar(file(name, 300), file("etc/more", 50))
    for save in (legacy_save, lambda i: oci_save(i, compress=False)):
        (tmp_path / "img.tar").write_bytes(save(image))
        assert [layer.stored_bytes for layer in read_archive(str(tmp_path / "img.tar")).layers] == [350, 4000, 0, 0]


def pax_layer(records: bytes, then: bytes = b"") -> bytes:
    """A layer tar whose first member is a PAX extended header holding `records` verbatim."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("././@PaxHeader")
        info.type, info.size = tarfile.XHDTYPE, len(records)
        tar.addfile(info, io.BytesIO(records))
        info = tarfile.TarInfo("f")
        info.size = len(then)
        tar.addfile(info, io.BytesIO(then))
    return buf.getvalue()


def sparse_records(realsize: int = 99999999999, name: str = "s") -> bytes:
    def record(key: str, value: str) -> bytes:
        body = f" {key}={value}\n"
        n = len(body) + 2
        while len(f"{n}{body}") != n:
            n += 1
        return f"{n}{body}".encode()
    return b"".join(record(k, v) for k, v in (("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"),
                                              ("GNU.sparse.name", name), ("GNU.sparse.realsize", str(realsize))))


@pytest.mark.parametrize("layer", [
    pax_layer(b"99999999999999999999 path=x\n"),  # a record length no index holds: OverflowError in tarfile
    pax_layer(sparse_records(), b"9999999\n" + b"\0" * 504),  # a GNU sparse 1.0 map that does not parse: ValueError
], ids=["PAX record length", "sparse map"])
def test_a_tar_header_tarfile_cannot_parse_is_an_unreadable_layer(tmp_path, layer):
    image, _ = sample()
    image.layers[1] = layer
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    with pytest.raises(SaveError, match=r"^the layer \w+/layer\.tar in the archive \S+img\.tar is not a readable tar \(.+\)$"):
        read_archive(str(tmp_path / "img.tar"))
    unpack(oci_save(image, compat_manifest=False, compress=False), tmp_path / "ocidir")
    with pytest.raises(SaveError, match=r"^the layer blobs/sha256/\w+ in the OCI layout \S+ocidir is not a readable tar \(.+\)$"):
        read_archive(str(tmp_path / "ocidir"))


def sparse_layer(realsize: int, data: bytes) -> bytes:
    """A layer of one GNU sparse 1.0 file `s` of `realsize` bytes: holes, then `data` at its end."""
    return pax_layer(sparse_records(realsize), f"1\n{realsize - len(data)}\n{len(data)}\n".encode().ljust(512, b"\0") + data)


def test_the_holes_of_a_sparse_file_are_not_read(tmp_path):
    """A 20 KB archive holding a file of 1 PB of holes read zeros for days."""
    layers = [sparse_layer(10**15, b"x"), sparse_layer(10**15, b"y"), sparse_layer(10**15, b"x")]
    (tmp_path / "img.tar").write_bytes(legacy_save(Image(layers, [{"created_by": "a"}] * 3)))
    proc = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(tmp_path / "img.tar")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "3e+03 TB stored" in proc.stdout, proc.stderr
    files = [layer.nodes["s"] for layer in read_archive(str(tmp_path / "img.tar")).layers]
    assert [f.size for f in files] == [10**15] * 3
    assert files[0].digest != files[1].digest and files[0].digest == files[2].digest  # the data stored tells them apart


def test_a_sparse_member_of_the_archive_is_not_read_as_a_blob(tmp_path):
    """Its holes read as zeros: a 20 KB archive whose layer was a sparse 10 TB tar of one file ran for hours."""
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("big")
        info.size = 10**13
        tar.addfile(info)  # its data: the holes
    head = inner.getvalue()[:-1024]  # the header alone: the end-of-archive blocks are holes too
    saved = legacy_save(Image([b"\0" * 1024], [{"created_by": "a"}]))
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(saved)) as src, tarfile.open(fileobj=out, mode="w") as tar:
        for member in src:
            data = src.extractfile(member).read() if member.isreg() else b""
            if member.name.endswith("/layer.tar"):
                records = sparse_records(10**13 + 4096, member.name)
                header = tarfile.TarInfo("././@PaxHeader")
                header.type, header.size = tarfile.XHDTYPE, len(records)
                tar.addfile(header, io.BytesIO(records))
                data = f"1\n0\n{len(head)}\n".encode().ljust(512, b"\0") + head
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    (tmp_path / "img.tar").write_bytes(out.getvalue())
    proc = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(tmp_path / "img.tar")],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert re.fullmatch(r"dlint: the layer \w+/layer\.tar in the archive \S+img\.tar is a sparse file, which no engine "
                        r"saves\n", proc.stderr), proc.stderr


def test_what_is_not_a_file_or_a_directory_is_refused_unopened(tmp_path):
    fifo = tmp_path / "img.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a character device")):
        proc = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(path)],
                              capture_output=True, text=True, timeout=30)  # it blocked, or read for ever
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr == f"dlint: {path}: not a regular file ({kind}), not read\n"


def test_an_oci_directory_whose_blobs_is_a_link_is_not_read_through_it(tmp_path):
    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False), tmp_path / "ocidir")
    (tmp_path / "ocidir" / "blobs").rename(tmp_path / "elsewhere")
    (tmp_path / "ocidir" / "blobs").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SaveError, match=r"ocidir: blobs/ is a symbolic link, not followed"):
        read_archive(str(tmp_path / "ocidir"))


def test_an_archive_that_goes_on_past_its_end_is_not_read_for_ever(tmp_path):
    image, _ = sample()
    (tmp_path / "padded.tar").write_bytes(legacy_save(image) + b"\0" * (1 << 20))  # padding: fine
    assert len(read_archive(str(tmp_path / "padded.tar")).layers) == 4
    (tmp_path / "endless.tar").write_bytes(legacy_save(image) + b"\0" * (9 << 20))
    with pytest.raises(SaveError, match=r"endless\.tar goes on past the end of its tar archive \(over 8 MiB more\)"):
        read_archive(str(tmp_path / "endless.tar"))


HOSTILE_NAME = "evil\x1b[31mred\x07\n::error::pwn\r\x9b"


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_file_names_in_layers_reach_no_report_with_their_control_characters(tmp_path, fmt):
    image = apt_image()
    image.layers[2] = layer_tar(file("srv/big", 4000), file(HOSTILE_NAME, 3000))
    image.layers[4] = layer_tar(whiteout("srv/big"), whiteout(HOSTILE_NAME))
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert not any(c in proc.stdout for c in "\x1b\x07\r\x9b")
    assert not any(line.startswith("::") for line in proc.stdout.splitlines())
    assert "evil\\x1b[31mred\\x07\\x0a::error::pwn\\x0d\\x9b" in proc.stdout or fmt != "text"
    assert "evil\\x1b[31mred\\x07" in proc.stdout  # shown, escaped: the reader sees there is such a file


def long_name_tar(length: int, fmt: int) -> bytes:
    """A tar whose one member's name takes a GNU long-name or PAX header of `length` bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        info = tarfile.TarInfo("d/" + "n" * length)
        tar.addfile(info, io.BytesIO(b""))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
def test_an_extended_tar_header_past_a_megabyte_is_refused_not_read_whole(tmp_path, fmt):
    """tarfile reads a long-name or PAX header whole: one of 2 GB in a 1 MB gzip took 6 GB of memory."""
    (tmp_path / "outer.tar").write_bytes(long_name_tar(2 << 20, fmt))
    with pytest.raises(SaveError, match=r"outer\.tar is not a readable image archive \(a tar header of \d+ bytes, over the 1 MiB dlint reads\)"):
        read_archive(str(tmp_path / "outer.tar"))
    image, _ = sample()
    image.layers[1] = long_name_tar(2 << 20, fmt)
    (tmp_path / "layer.tar").write_bytes(legacy_save(image))
    with pytest.raises(SaveError, match=r"a tar header of \d+ bytes, over the 1 MiB dlint reads"):
        read_archive(str(tmp_path / "layer.tar"))
    image.layers[1] = long_name_tar(3000, fmt)  # a long name of an ordinary length is read
    (tmp_path / "fine.tar").write_bytes(legacy_save(image))
    assert len(read_archive(str(tmp_path / "fine.tar")).layers) == 4


# --- hostile archives whose cost grew faster than their size --------------------------------------------


def test_a_path_deeper_than_a_linux_path_is_refused(tmp_path):
    """Waste accounting walks every parent of a path: one 128 KB path of `a/a/...` took 4 GB."""
    image, _ = sample()
    image.layers[1] = layer_tar(file("a/" * 2100 + "f", 1))
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    with pytest.raises(SaveError, match=r"a layer holds a path of 4201 characters, over the 4096 of a Linux path$"):
        read_archive(str(tmp_path / "img.tar"))
    image.layers[1] = layer_tar(file("a/" * 2000 + "f", 1))  # under the limit: read
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    assert len(read_archive(str(tmp_path / "img.tar")).layers) == 4


def unlisted_directories(count: int, start: int = 0) -> bytes:
    """A layer of `count` empty files 4,086 characters deep, each in 2,041 directories of its own it does not list."""
    return layer_tar(*[Entry(f"{i:04d}/" + "d/" * 2040 + "f", b"") for i in range(start, start + count)])


def test_directories_the_layers_do_not_list_are_capped_in_all(tmp_path):
    """The replay keeps every directory's name: a 530 KB archive of such paths took 500 MB."""
    (tmp_path / "img.tar").write_bytes(legacy_save(Image([unlisted_directories(100)], [{"created_by": "a"}])))
    code = ("import sys; from dlint.analyse import archive, saved, waste\n"
            "try:\n    waste.replay(archive.read_archive(sys.argv[1]).layers)\n"
            "except saved.SaveError as exc:\n    sys.exit(str(exc))")
    returncode, _, peak = run_measured(code, str(tmp_path / "img.tar"))
    assert returncode == 1 and peak < 100_000  # KiB
    with pytest.raises(SaveError, match=r"^a layer's paths sit in over 16 MiB of directory names it does not list"):
        read_archive(str(tmp_path / "img.tar"))
    layers = [unlisted_directories(2, start) for start in (0, 2, 4)]  # each under the cap, not together
    (tmp_path / "img.tar").write_bytes(legacy_save(Image(layers, [{"created_by": "a"}] * 3)))
    with pytest.raises(SaveError, match=r"^the layers of the archive \S+img\.tar sit in over 16 MiB of directory names"):
        read_archive(str(tmp_path / "img.tar"))
    (tmp_path / "img.tar").write_bytes(legacy_save(Image(layers[:1], [{"created_by": "a"}])))
    assert len(read_archive(str(tmp_path / "img.tar")).layers) == 1


def test_names_from_the_manifest_are_shown_by_their_start_in_the_one_error_line(tmp_path):
    """A 4 MB layer or config name was echoed whole, and 50,000 image names made a 3 MB line."""
    long = [{"Config": "c.json", "RepoTags": ["a"], "Layers": ["z" * 4_000_000]}]
    many = [{"Config": "c.json", "RepoTags": [f"img{i:05d}"], "Layers": []} for i in range(50_000)]
    for manifest, message in [
        (long, r"names a layer it does not contain \(z{80}\.\.\. \(4,000,000 characters\)\)$"),
        ([{**long[0], "Config": "q" * 100}], r"lacks the image config its manifest names \(q{80}\.\.\. \(100 characters\)\)$"),
        (many, r"holds 50000 images \(img00000, img00001, .*, img00009 and 49,990 more\): pick one with --image$"),
    ]:
        (tmp_path / "img.tar").write_bytes(archive([("c.json", b'{"rootfs": {}}'),
                                                    ("manifest.json", json.dumps(manifest).encode())]))
        with pytest.raises(SaveError, match=message) as err:
            read_archive(str(tmp_path / "img.tar"))
        assert len(str(err.value)) < 1000


def test_documents_the_image_does_not_name_are_not_parsed_and_capped_in_all(tmp_path, monkeypatch):
    image, _ = sample()
    saved = legacy_save(image)
    heavy = b"[" + b"[]," * (2 << 20) + b"[]]"  # 6 MiB of JSON that parses into ~150 MB
    extra = [(f"extra{i}.json", heavy) for i in range(3)] + [("broken.json", b"{not json")]
    members = [(m.name, tarfile.open(fileobj=io.BytesIO(saved)).extractfile(m).read())
               for m in tarfile.open(fileobj=io.BytesIO(saved)) if m.isreg()]
    (tmp_path / "img.tar").write_bytes(archive(extra + members))
    code = "import sys; from dlint.analyse.archive import read_archive; read_archive(sys.argv[1])"
    returncode, _, peak = run_measured(code, str(tmp_path / "img.tar"))
    assert returncode == 0
    assert peak < 150_000  # KiB: the three would have taken ~450 MB parsed
    from dlint.analyse import saved

    monkeypatch.setattr(saved, "MAX_DOCUMENTS", 16 << 20)  # 256 MiB in use: the same check, a smaller archive
    with pytest.raises(SaveError, match=r"img\.tar holds over 16 MiB of JSON documents"):
        read_archive(str(tmp_path / "img.tar"))


def test_a_whiteout_repeated_in_a_layer_is_kept_once(tmp_path):
    image, _ = sample()
    image.layers[2] = layer_tar(*[whiteout("tmp/big")] * 500, Entry("x/.wh..wh..opq", b""), Entry("x/.wh..wh..opq", b""))
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    layer = read_archive(str(tmp_path / "img.tar")).layers[2]
    assert (layer.whiteouts, layer.opaque) == (["tmp/big"], ["x"])


def test_a_blob_the_image_does_not_name_is_not_read_as_its_layer(tmp_path):
    """A multi-platform layout holds other images' layers, zstd ones among them."""
    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False, compress=False), tmp_path / "ocidir")
    blobs = tmp_path / "ocidir" / "blobs" / "sha256"
    (blobs / ("1" * 64)).write_bytes(b"\x28\xb5\x2f\xfd\0\0")  # zstd
    (blobs / ("2" * 64)).write_bytes(b"not a tar, not JSON" * 100)
    assert len(read_archive(str(tmp_path / "ocidir")).layers) == 4
    index = json.loads((tmp_path / "ocidir" / "index.json").read_text())
    manifest_file = blobs / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(manifest_file.read_text())
    manifest["layers"][0]["digest"] = "sha256:" + "1" * 64
    rewrite(manifest_file, manifest)
    with pytest.raises(SaveError, match=r"^the layer blobs/sha256/1{64} in the OCI layout \S+ocidir is zstd-compressed"):
        read_archive(str(tmp_path / "ocidir"))


def test_a_name_that_is_not_utf8_is_escaped_text_in_the_json_report(tmp_path):
    """Each such byte was a lone surrogate in `--format json`: jq turns it into U+FFFD, Node refuses the string."""
    image = Image([layer_tar(Entry("etc/bad\udcff\udcfename", b"x" * 3000)), layer_tar(whiteout("etc/bad\udcff\udcfename"))],
                  [{"created_by": "a"}, {"created_by": "b"}])
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    (tmp_path / "Dockerfile").write_text("FROM scratch\nRUN a\nRUN b\n")
    run = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(tmp_path / "img.tar"),
                          "--format", "json", str(tmp_path / "Dockerfile")], capture_output=True, check=False)
    assert run.returncode == 0, run.stderr
    run.stdout.decode("utf-8")  # strict: every byte is UTF-8
    assert [e["path"] for e in json.loads(run.stdout)["waste"]] == ["/etc/bad\\xff\\xfename"]


def test_an_unnamed_blob_that_is_no_tar_is_no_error_in_an_oci_tar_either(tmp_path):
    """A stray text file or an SBOM's gzip in an OCI tar failed the whole archive; as a directory it read."""
    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False, compress=False), tmp_path / "ocidir")
    (tmp_path / "ocidir" / "blobs" / "sha256" / ("3" * 64)).write_bytes(b"hello world, not a tar\n" * 20)
    (tmp_path / "ocidir" / "blobs" / "sha256" / ("4" * 64)).write_bytes(gzip.compress(b'{"spdx": 1}'))
    subprocess.run(["tar", "-cf", str(tmp_path / "oci.tar"), "-C", str(tmp_path / "ocidir"), "."], check=True)
    assert len(read_archive(str(tmp_path / "oci.tar")).layers) == len(read_archive(str(tmp_path / "ocidir")).layers) == 4


def test_a_manifest_naming_more_layers_than_an_image_stacks_is_refused(tmp_path):
    """One small layer named a thousand times cost a thousand walks of its files: 100 s and 900 MB."""
    image = Image([layer_tar(file("f", 10))] * 300, [{"created_by": "x"}] * 300)
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    with pytest.raises(SaveError, match=r"names 300 layers, more than the 256 an image can stack$"):
        read_archive(str(tmp_path / "img.tar"))


def test_a_whiteout_of_a_path_at_the_limit_is_read(tmp_path):
    deep = "a/" * 2046 + "fg"  # 4,094 characters: a path Linux allows, its whiteout's name 4 longer
    image = Image([layer_tar(file(deep, 1)), layer_tar(whiteout(deep))], [{"created_by": "a"}, {"created_by": "b"}])
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    assert read_archive(str(tmp_path / "img.tar")).layers[1].whiteouts == [deep]


def test_json_after_white_space_is_a_document(tmp_path):
    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False, compress=False), tmp_path / "ocidir")
    index = tmp_path / "ocidir" / "index.json"
    index.write_bytes(b"\n  " + index.read_bytes())
    assert len(read_archive(str(tmp_path / "ocidir")).layers) == 4


def test_a_layer_of_many_empty_files_is_held_in_little_memory(tmp_path):
    """Each path held a Node and its digest, then a (node, inode) tuple, an inode and a count in the replay:
    100,000 empty files peaked at 78 MB (19 MB of it the interpreter), 200,000 at 142 MB."""
    entries = [Entry(f"d{i % 100}/f{i}", b"") for i in range(100_000)]
    image = Image([layer_tar(*entries), layer_tar(whiteout("d7"))], [{"created_by": "a"}, {"created_by": "b"}])
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    code = ("import sys; from dlint.analyse import archive, waste\n"
            "layers = archive.read_archive(sys.argv[1]).layers\n"
            "fs = waste.replay(layers)\n"
            "print(len(fs.visible), waste.account(layers, [None, None], fs).wasted_bytes)")
    returncode, out, peak = run_measured(code, str(tmp_path / "img.tar"))
    assert (returncode, out) == (0, "99000 0")  # the second layer deletes d7's 1,000; empty files are no waste
    assert peak < 55_000  # KiB: 38 MB now


def tar_json(document: dict) -> bytes:
    """`document` as JSON whose first 512 bytes are also a valid tar header: fields 100-156 sit in a string of
    spaces, with the checksum in it."""
    head = bytearray(b'{"pad": "' + b" " * 503)
    head[148:156] = b"%07o " % sum(head)
    tarfile.TarInfo.frombuf(bytes(head), "utf-8", "surrogateescape")  # a header tarfile accepts
    return bytes(head) + b'", ' + json.dumps(document).encode()[1:]


def oci_dir(tmp_path, image: Image) -> tuple:
    """An OCI directory of `image` with descriptor sizes, as skopeo writes one; (its manifest file, the manifest)."""
    (tmp_path / "docker.tar").write_bytes(legacy_save(image))
    root = to_oci_dir(tmp_path / "docker.tar", tmp_path / "ocidir", "img")
    digest = json.loads((root / "index.json").read_text())["manifests"][0]["digest"]
    path = root / "blobs" / "sha256" / digest[7:]
    return path, json.loads(path.read_text())


def rewrite(path, manifest: dict) -> None:
    """The manifest written as a blob of its digest, which the index of the oci_dir at `path` then names."""
    data = json.dumps(manifest).encode()
    digest = hashlib.sha256(data).hexdigest()
    (path.parent / digest).write_bytes(data)
    index_file = path.parents[2] / "index.json"
    index = json.loads(index_file.read_text())
    index["manifests"][0].update(digest="sha256:" + digest, size=len(data))
    index_file.write_text(json.dumps(index))


def test_the_manifest_says_what_a_blob_is_not_what_it_starts_like(tmp_path):
    """A valid config that also passed for a tar header was read as a layer: the image 'lacked its config'."""
    image, _ = sample()
    config = tar_json(json.loads(image.config()))
    members = [(f"l{i}/layer.tar", layer) for i, layer in enumerate(image.layers)]
    manifest = [{"Config": "c.json", "RepoTags": ["x"], "Layers": [name for name, _ in members]}]
    members += [("c.json", config), ("manifest.json", json.dumps(manifest).encode())]
    (tmp_path / "img.tar").write_bytes(archive(members))
    assert len(read_archive(str(tmp_path / "img.tar")).layers) == 4
    members[-2] = ("c.json", image.layers[0])  # a layer named the config: a tar is no JSON
    (tmp_path / "img.tar").write_bytes(archive(members))
    with pytest.raises(SaveError, match=r"^the image config c\.json in the archive \S+ is a tar of 10,240 bytes, not a "
                                        r"JSON document$"):
        read_archive(str(tmp_path / "img.tar"))
    path, manifest = oci_dir(tmp_path, image)
    blobs = path.parent
    (blobs / hashlib.sha256(config).hexdigest()).write_bytes(config)
    manifest["config"].update(digest="sha256:" + hashlib.sha256(config).hexdigest(), size=len(config))
    rewrite(path, manifest)
    assert len(read_archive(str(tmp_path / "ocidir")).layers) == 4
    layer = manifest["layers"][0]
    manifest["layers"][0] = manifest["config"]  # the config named as a layer: its media type says what it is
    rewrite(path, manifest)
    proc = analyse_archive(str(tmp_path / "ocidir"))
    assert (proc.returncode, proc.stdout) == (2, "")
    root = tmp_path / "ocidir"
    assert proc.stderr == f"dlint: the manifest of the OCI layout {root} names as a layer a blob of media type " \
                          "application/vnd.oci.image.config.v1+json, not a layer's\n"
    (blobs / ("6" * 64)).write_bytes(b'{"a": 1}')  # JSON named a layer: read as a tar, which it is not
    manifest["layers"][0] = {**layer, "digest": "sha256:" + "6" * 64, "size": 8}
    rewrite(path, manifest)
    proc = analyse_archive(str(tmp_path / "ocidir"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"dlint: the layer blobs/sha256/{'6' * 64} in the OCI layout {root} is not a readable tar " \
                          "(truncated header)\n"


def test_a_blob_whose_size_is_not_its_descriptor_s_is_refused_unread(tmp_path):
    path, manifest = oci_dir(tmp_path, sample()[0])
    manifest["layers"][1]["size"] += 1
    rewrite(path, manifest)
    with pytest.raises(SaveError, match=r"^the layer blobs/sha256/\w+ in the OCI layout \S+ is ([\d,]+) bytes, "
                                        r"but its descriptor says [\d,]+$"):
        read_archive(str(tmp_path / "ocidir"))
    to_oci_tar(tmp_path / "ocidir", tmp_path / "oci.tar")  # the same check in a stream, after the blob is read
    with pytest.raises(SaveError, match=r"^the layer blobs/sha256/\w+ in the archive \S+ is [\d,]+ bytes, but its"):
        read_archive(str(tmp_path / "oci.tar"))


def sparse_blob(path, size: int = 1 << 40) -> None:
    """A tar of one file of `size` bytes, all holes on disk but its header: a few KB stored."""
    info = tarfile.TarInfo("huge")
    info.size = size
    with open(path, "wb") as f:
        f.write(info.tobuf(tarfile.GNU_FORMAT))
        f.truncate(512 + size + 1024)


def test_a_sparse_blob_in_an_oci_directory_is_not_read_hole_by_hole(tmp_path):
    """1 TB of holes was hashed as zeros whether the image named the blob or not: hours for 4 KB on disk."""
    path, manifest = oci_dir(tmp_path, sample()[0])
    sparse_blob(path.parent / ("5" * 64))  # named by no manifest: never opened
    code = "import sys; from dlint.analyse.archive import read_archive; print(len(read_archive(sys.argv[1]).layers))"
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ocidir")], capture_output=True, text=True,
                         timeout=60, check=False)
    assert (run.returncode, run.stdout) == (0, "4\n"), run.stderr
    manifest["layers"][1] = {**manifest["layers"][1], "digest": "sha256:" + "5" * 64, "size": 512 + (1 << 40) + 1024}
    rewrite(path, manifest)
    proc = analyse_archive(str(tmp_path / "ocidir"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert re.fullmatch(r"dlint: the layer blobs/sha256/5{64} in the OCI layout \S+ is a sparse file "
                        r"\(1,099,511,629,312 bytes, [\d,]+ of them on disk\): no tool writes a blob so, and its holes "
                        r"would be read as zeros\n", proc.stderr), proc.stderr


def test_a_gzip_layer_of_a_thousand_to_one_is_read_in_its_expanded_size_in_bounded_memory(tmp_path):
    """Decided, not capped (read_layer): deflate expands at most 1,032:1, so the time is linear in the input."""
    expanded = io.BytesIO()
    with gzip.GzipFile(fileobj=expanded, mode="wb", compresslevel=9, mtime=0) as z:
        info = tarfile.TarInfo("zeros")
        info.size = 256 << 20
        z.write(info.tobuf(tarfile.GNU_FORMAT))
        for _ in range(256):
            z.write(bytes(1 << 20))
        z.write(bytes(1024))
    assert len(expanded.getvalue()) < (300 << 10)  # ~250 KB of gzip
    (tmp_path / "img.tar").write_bytes(legacy_save(Image([expanded.getvalue()], [{"created_by": "a"}])))
    code = "import sys; from dlint.analyse.archive import read_archive; print(read_archive(sys.argv[1]).layers[0].size)"
    returncode, out, peak = run_measured(code, str(tmp_path / "img.tar"))
    assert (returncode, out) == (0, str(256 << 20))
    assert peak < 60_000  # KiB: the expanded bytes are streamed, never held


def test_analyse_archive_history_runs_no_github_workflow_command(tmp_path):
    """A layer's command `##[add-mask]HIT` masked `HIT` in the whole CI log (GitHub's runner reads that
    syntax anywhere in a line); `\\u2028` and a zero-width space are shown escaped too."""
    layers = [layer_tar(file("bin/sh", 300)), layer_tar(file("big", 4000)), layer_tar(whiteout("big"))]
    history = [{"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
               {"created_by": "RUN /bin/sh -c x ##[add-mask]HIT \u2028::error::y\u200b # buildkit"},
               {"created_by": "RUN /bin/sh -c rm /big # buildkit"}]
    (tmp_path / "img.tar").write_bytes(oci_save(Image(layers, history), compat_manifest=False))
    proc = analyse_archive(str(tmp_path / "img.tar"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2].endswith("x #\\x23[add-mask]HIT \\u2028::error::y\\u200b # buildkit")
    assert "##[" not in proc.stdout and not any(line.lstrip().startswith("::") for line in proc.stdout.splitlines())


def test_analyse_junit_and_html_of_a_dockerfile_whose_name_is_not_utf8(tmp_path):
    """The name's byte went raw into the JUnit XML, which no reader takes as UTF-8; in HTML its newline
    started a line with `::error::`, a GitHub workflow command."""
    (tmp_path / "img.tar").write_bytes(oci_save(apt_image(), compat_manifest=False))
    dockerfile = tmp_path / os.fsdecode(b"D\xff\n::error::z.Dockerfile")
    dockerfile.write_text(DOCKERFILE)
    for fmt in ("junit", "html"):
        proc = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(tmp_path / "img.tar"),
                               str(dockerfile), "--format", fmt], capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.decode("utf-8")  # strict: the report is UTF-8
        assert "D\\xff" in out and not any(line.lstrip().startswith("::") for line in out.splitlines())
        if fmt == "junit":
            assert ET.fromstring(proc.stdout).find("testsuite").get("name").endswith("D\\xff\n::error::z.Dockerfile")


def test_analyse_markdown_heading_shows_a_dockerfile_name_with_backticks_as_code(tmp_path):
    """The name went into a one-backtick code span with `\\`` escapes, which a code span does not read:
    its first backtick ended the span, and the heading showed `a\\` as code and the rest as text."""
    from markdown_it import MarkdownIt

    (tmp_path / "img.tar").write_bytes(oci_save(apt_image(), compat_manifest=False))
    name = "a`<img src=x>`.Dockerfile"
    (tmp_path / name).write_text(DOCKERFILE)
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / name), "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    heading = next(t for t in MarkdownIt("commonmark").parse(proc.stdout) if t.type == "inline")
    assert [c.type for c in heading.children][:2] == ["text", "code_inline"]
    assert heading.children[1].content == str(tmp_path / name)


# --- digests: a blob must hash to the digest that names it --------------------------------


def members_of(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}


def flipped(layer: bytes) -> bytes:
    """The layer tar with one byte of its first file's content changed: still a tar, of the same size."""
    data = bytearray(layer)
    data[512] ^= 0xFF  # the first byte after the first header
    return bytes(data)


def tampered(layout: str, what: str) -> tuple[bytes, str]:
    """An archive of sample() in `layout` with its second layer, its config or a diff_id changed; the error's start."""
    image, _ = sample()
    save = {"docker-archive": legacy_save, "docker-archive-25": oci_save,
            "oci": lambda i: oci_save(i, compat_manifest=False)}[layout]
    data = save(image)
    members = members_of(data)
    config_name = next(n for n, c in members.items() if c.startswith(b'{"rootfs"'))
    config = json.loads(members[config_name])
    if what == "layer":
        if layout == "docker-archive":  # <id>/layer.tar names no digest: its diff_id says what it holds
            name = next(n for n, c in members.items() if c == image.layers[1])
            return readdressed(data, {name: flipped(image.layers[1])}), r"the layer \w+/layer\.tar .* is not the one"
        name = next(n for n, c in members.items() if c[:2] == b"\x1f\x8b" and gzip.decompress(c) == image.layers[1])
        bad = gzip.compress(flipped(image.layers[1]), mtime=0)
        return without_member(data, lambda n: False, {name: bad}), rf"the layer {name} .* does not match its digest"
    if what == "config":
        config["history"][0]["created_by"] = "not what was built"
        return (without_member(data, lambda n: False, {config_name: json.dumps(config).encode()}),
                rf"the image config {config_name} .* does not match its digest")
    config["rootfs"]["diff_ids"][1] = "sha256:" + hashlib.sha256(b"another layer").hexdigest()
    return readdressed(data, {config_name: json.dumps(config).encode()}), r"the layer \S+ .* is not the one its image"


@pytest.mark.parametrize("what", ["layer", "config", "diff_id"])
@pytest.mark.parametrize("layout", ["docker-archive", "docker-archive-25", "oci", "oci-dir"])
def test_a_blob_that_does_not_hash_to_its_digest_is_refused_naming_it(tmp_path, layout, what):
    data, error = tampered("oci" if layout == "oci-dir" else layout, what)
    path = tmp_path / "img.tar"
    if layout == "oci-dir":
        path = tmp_path / "ocidir"
        unpack(data, path)
        error = error.replace("in the archive", "in the OCI layout")
    else:
        path.write_bytes(data)
    with pytest.raises(SaveError, match="^" + error):
        read_archive(str(path))


def test_readdressed_archives_are_read_so_the_refusals_are_of_the_tampering_alone(tmp_path):
    """What the refusals above change, made as a tool would (every digest rewritten), is read."""
    image, _ = sample()
    for data in (legacy_save(image), oci_save(image), oci_save(image, compat_manifest=False)):
        members = members_of(data)
        config_name = next(n for n, c in members.items() if c.startswith(b'{"rootfs"'))
        config = json.loads(members[config_name])
        config["history"][0]["created_by"] = "rebuilt"
        (tmp_path / "img.tar").write_bytes(readdressed(data, {config_name: json.dumps(config).encode()}))
        saved = read_archive(str(tmp_path / "img.tar"))
        assert saved.config["history"][0]["created_by"] == "rebuilt"
        assert saved.id == "sha256:" + hashlib.sha256(json.dumps(config).encode()).hexdigest()


def test_analyse_of_a_tampered_archive_is_one_escaped_line_exit_2_and_writes_no_report(tmp_path):
    image, _ = sample()
    data = legacy_save(image)
    name = next(n for n, c in members_of(data).items() if c == image.layers[1])
    odd, folder = "evil\x1b[2J", name.split("/")[0]  # the layer's name in the manifest, its folder in the archive
    members = {n.replace(folder, odd): flipped(c) if n == name else c for n, c in members_of(data).items()}
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Layers"] = [n.replace(folder, odd) for n in manifest[0]["Layers"]]
    members["manifest.json"] = json.dumps(manifest).encode()
    data = archive(list(members.items()))
    (tmp_path / "img.tar").write_bytes(data)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    proc = analyse_archive(str(tmp_path / "img.tar"), str(tmp_path / "Dockerfile"), "--format", "json",
                           "--output", str(tmp_path / "report.json"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith(f"dlint: the layer evil\\x1b[2J/layer.tar in the archive {tmp_path / 'img.tar'} is "
                                  "not the one its image config lists (rootfs.diff_ids[1]): its tar hashes to sha256:")
    assert proc.stderr.count("\n") == 1 and "\x1b" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "report.json").exists()


def test_an_oci_descriptor_must_name_its_blob_by_a_sha256_digest(tmp_path):
    """Any other name could not be checked: a sha512 one, or a path."""
    image, _ = sample()
    for digest in ("sha512:" + "a" * 128, "sha256:../../etc"):
        data = with_oci_manifest(image, lambda m: m["layers"][0].__setitem__("digest", digest))
        (tmp_path / "img.tar").write_bytes(data)
        with pytest.raises(SaveError, match=rf"^the archive \S+ names a layer by '{re.escape(digest[:20])}.*, not by "
                                            "a sha256 digest dlint can check$"):
            read_archive(str(tmp_path / "img.tar"))


def test_a_link_at_a_blobs_digest_name_is_checked_against_that_digest(tmp_path):
    """`blobs/sha256/<hex>` as a link to a file named otherwise (any config, its own diff_ids and layers) was
    read unchecked: the name that says the digest is the one the bytes must hash to."""
    image, _ = sample()
    members = members_of(oci_save(image, compat_manifest=False))
    config_name = next(n for n, c in members.items() if c.startswith(b'{"rootfs"'))
    config = json.loads(members[config_name])
    config["history"][0]["created_by"] = "not what was built"
    linked = [(n, "../../swapped.json" if n == config_name else c) for n, c in members.items()]
    (tmp_path / "img.tar").write_bytes(archive([("swapped.json", json.dumps(config).encode()), *linked]))
    with pytest.raises(SaveError, match=r"^the image config swapped\.json in the archive \S+ does not match its "
                                        r"digest: its bytes hash to sha256:[0-9a-f]{64}$"):
        read_archive(str(tmp_path / "img.tar"))
    untouched = [(n, "../../same.json" if n == config_name else c) for n, c in members.items()]
    (tmp_path / "img.tar").write_bytes(archive([("same.json", members[config_name]), *untouched]))
    assert read_archive(str(tmp_path / "img.tar")).id == "sha256:" + hashlib.sha256(members[config_name]).hexdigest()


def test_a_config_named_as_go_containerregistry_names_it_is_checked(tmp_path):
    """crane and kaniko write a docker-archive whose config is `sha256:<hex>`: a name that says its digest."""
    image, _ = sample()
    members = members_of(legacy_save(image))
    config_name = next(n for n, c in members.items() if c.startswith(b'{"rootfs"'))
    ggcr = "sha256:" + config_name.removesuffix(".json")
    manifest = json.loads(members["manifest.json"])
    manifest[0]["Config"] = ggcr
    renamed = {ggcr if n == config_name else n: c for n, c in members.items()}
    renamed["manifest.json"] = json.dumps(manifest).encode()
    (tmp_path / "img.tar").write_bytes(archive(list(renamed.items())))
    assert read_archive(str(tmp_path / "img.tar")).id == ggcr
    config = json.loads(renamed[ggcr])
    config["history"][0]["created_by"] = "not what was built"
    renamed[ggcr] = json.dumps(config).encode()
    (tmp_path / "img.tar").write_bytes(archive(list(renamed.items())))
    with pytest.raises(SaveError, match=rf"^the image config {ggcr} in the archive \S+ does not match its digest"):
        read_archive(str(tmp_path / "img.tar"))


def test_an_oci_directory_blob_that_grows_while_it_is_read_is_refused(tmp_path, monkeypatch):
    """A blob is read to the size it had when opened, and one byte more: a file another process keeps
    appending to is not read for ever. (fstat is made to answer the size it had before the append.)"""
    from dlint.analyse import archive as archive_module

    image, _ = sample()
    unpack(oci_save(image, compat_manifest=False), tmp_path / "oci")
    index = json.loads((tmp_path / "oci" / "index.json").read_text())
    manifest_path = tmp_path / "oci" / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    real_fstat = os.fstat

    def earlier(fd):
        found = real_fstat(fd)
        if os.path.realpath(f"/proc/self/fd/{fd}") != str(manifest_path):
            return found
        fields = list(found)
        fields[6] -= 10  # st_size: as it was before 10 more bytes were written
        return os.stat_result(fields)

    monkeypatch.setattr(archive_module.os, "fstat", earlier)
    index["manifests"][0].pop("size", None)  # no descriptor size to compare first
    (tmp_path / "oci" / "index.json").write_text(json.dumps(index))
    with pytest.raises(SaveError, match=r"^the manifest blobs/sha256/[0-9a-f]{64} in the OCI layout \S+ grew while "
                                        "dlint read it$"):
        read_archive(str(tmp_path / "oci"))
