"""--archive input: image archives and OCI layout directories read from disk, without an engine."""

from __future__ import annotations

import gzip
import io
import json
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


def test_analyse_archive_refuses_the_gates_it_cannot_honour_yet(tmp_path):
    image, _ = sample()
    (tmp_path / "img.tar").write_bytes(legacy_save(image))
    proc = analyse_archive(str(tmp_path / "img.tar"), "--max-size", "1000", "--format", "json")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "dlint: --archive does not take --max-size, --format yet\n"
