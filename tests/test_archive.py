"""--archive input: image archives and OCI layout directories read from disk, without an engine."""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
import tarfile

import pytest

from dlint.analyse.archive import read_archive
from dlint.analyse.saved import SaveError
from tests.test_waste import Entry, Image, file, layer_tar, legacy_save, oci_save, sample, whiteout


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
    with pytest.raises(SaveError, match="^cannot read the archive .*nope.tar: No such file"):
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
               {"created_by": "RUN /bin/sh -c rm /big\x1b[2J # buildkit"}]
    (tmp_path / "img.tar").write_bytes(oci_save(Image(layers, history), compat_manifest=False))
    proc = analyse_archive(str(tmp_path / "img.tar"))
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[1].split() == ["1", "300", "B", "0", "B", "/bin/sh", "-c", "#(nop)", "ADD", "file:abc", "in", "/"]
    assert rows[2].split()[:5] == ["2", "9", "kB", "5", "kB"] and rows[2].endswith("apt-get update # buildkit")
    assert rows[3].endswith("rm /big?[2J # buildkit")  # the escape never reaches the terminal
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
