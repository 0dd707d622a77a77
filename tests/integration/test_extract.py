"""`dlint extract` against a real engine: what lands on the host, what is refused, what is left behind."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from analyse_support import imported_image

pytestmark = pytest.mark.engine

IMAGE = "dlint-test/extract:latest"


def dlint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _rootfs() -> bytes:
    """A data-only image: imported, never run, so it needs no shell."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", mode: int = 0o644, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.linkname, info.size, info.mtime = kind, mode, link, len(data), 1_600_000_000
            tar.addfile(info, io.BytesIO(data) if data else None)

        add("etc", tarfile.DIRTYPE, mode=0o755)
        add("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n")
        add("data", tarfile.DIRTYPE, mode=0o755)
        add("data/file", data=b"payload\n", mode=0o640)
        add("data/tool", data=b"#!/bin/sh\n", mode=0o4755)
        add("data/hard", tarfile.LNKTYPE, mode=0o640, link="data/file")
        add("data/sub", tarfile.DIRTYPE, mode=0o750)
        add("data/sub/chain1", tarfile.SYMTYPE, link="chain2")
        add("data/sub/chain2", tarfile.SYMTYPE, link="../file")
        add("data/absolute", tarfile.SYMTYPE, link="/data/file")  # as /etc/alternatives targets are written
        add("data/escape", tarfile.SYMTYPE, link="/etc/passwd")
        add("data/dotdot", tarfile.SYMTYPE, link="../../../../etc/passwd")
        add("usr", tarfile.DIRTYPE, mode=0o755)
        add("usr/bin", tarfile.DIRTYPE, mode=0o755)
        add("usr/bin/mawk", data=b"mawk binary\n", mode=0o755)
        add("etc/alternatives", tarfile.DIRTYPE, mode=0o755)
        add("etc/alternatives/awk", tarfile.SYMTYPE, link="/usr/bin/mawk")
        add("usr/bin/awk", tarfile.SYMTYPE, link="/etc/alternatives/awk")
    return buf.getvalue()


@pytest.fixture(scope="module")
def image(engine):
    with imported_image(engine, _rootfs(), IMAGE) as name:
        yield name


@pytest.fixture(autouse=True)
def no_containers_left(engine):
    before = {c.id for c in engine.containers.list(all=True)}
    yield
    assert {c.id for c in engine.containers.list(all=True)} == before


def test_a_file_becomes_dest_and_a_directory_receives_it_by_name(image, tmp_path):
    p = dlint("extract", image, "/etc/passwd", str(tmp_path / "pw"))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "pw").read_text() == "root:x:0:0:root:/root:/bin/sh\n"
    p = dlint("extract", image, "etc/passwd", str(tmp_path))  # relative: from the image's root
    assert p.returncode == 0 and (tmp_path / "passwd").read_text().startswith("root:")
    assert p.stderr.strip() == f"dlint: extracted 1 file, 0 directories, 0 links (30 bytes) to {tmp_path / 'passwd'}"


def test_a_directory_keeps_modes_links_inside_it_and_hard_links(image, tmp_path):
    p = dlint("extract", image, "/data", str(tmp_path / "out"))
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == ["absolute", "file", "hard", "sub", "tool"]
    assert stat.S_IMODE((out / "file").stat().st_mode) == 0o640
    assert stat.S_IMODE((out / "sub").stat().st_mode) == 0o750
    assert stat.S_IMODE((out / "tool").stat().st_mode) == 0o755  # no setuid on the host
    assert (out / "hard").stat().st_ino == (out / "file").stat().st_ino
    # The chain keeps its shape; the absolute link now points at the extracted file.
    assert os.readlink(out / "sub" / "chain1") == "chain2"
    assert os.readlink(out / "sub" / "chain2") == "../file"
    assert os.readlink(out / "absolute") == "file"
    assert (out / "sub" / "chain1").read_text() == "payload\n"
    # `..` stops at the image's root: ../../../../etc/passwd from /data is /etc/passwd, outside /data.
    assert "skipped link /data/escape -> /etc/passwd: points outside the extracted tree" in p.stderr
    assert "skipped link /data/dotdot -> ../../../../etc/passwd: points outside" in p.stderr


def test_links_that_leave_the_tree_are_skipped_not_pointed_at_the_host(image, tmp_path):
    p = dlint("extract", image, "/etc/alternatives", str(tmp_path / "alt"))
    assert p.returncode == 0, p.stderr
    assert os.listdir(tmp_path / "alt") == []
    assert "skipped link /etc/alternatives/awk -> /usr/bin/mawk" in p.stderr
    # Extracting the whole root keeps the same link, pointing inside the copy.
    p = dlint("extract", image, "/", str(tmp_path / "root"))
    assert p.returncode == 0, p.stderr
    assert os.readlink(tmp_path / "root" / "etc" / "alternatives" / "awk") == "../../usr/bin/mawk"
    assert (tmp_path / "root" / "usr" / "bin" / "awk").read_text() == "mawk binary\n"
    assert not (tmp_path / "root" / ".dockerenv").exists()  # the engine's, not the image's


def test_src_that_is_a_link_chain_is_followed_like_docker_cp_L(image, tmp_path):
    # /usr/bin/awk -> /etc/alternatives/awk -> /usr/bin/mawk
    p = dlint("extract", image, "/usr/bin/awk", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "awk").read_text() == "mawk binary\n" and not (tmp_path / "awk").is_symlink()


def test_extract_from_a_debian_root_filesystem(engine, tmp_path):
    p = dlint("extract", "debian:bookworm-slim", "/etc/apt", str(tmp_path / "apt"))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "apt" / "apt.conf.d" / "docker-clean").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dlint-test/no-such-image:latest", "/etc"), "no image 'dlint-test/no-such-image:latest' in the engine"),
        ((IMAGE, "/no/such/path"), "/no/such/path: no such file or directory in the image"),
    ],
)
def test_missing_image_or_path_is_one_line_and_exit_2(image, tmp_path, args, message):
    p = dlint("extract", *args, str(tmp_path / "out"))
    assert (p.returncode, p.stderr) == (2, f"dlint: {message}\n")
    assert not (tmp_path / "out").exists()


def test_destinations_that_cannot_take_the_copy(image, tmp_path):
    (tmp_path / "file").write_text("mine")
    p = dlint("extract", image, "/data", str(tmp_path / "file"))
    assert p.returncode == 2 and "cannot copy directory data onto file" in p.stderr
    assert (tmp_path / "file").read_text() == "mine"
    p = dlint("extract", image, "/etc/passwd", str(tmp_path / "missing" / "pw"))
    assert p.returncode == 2 and "no such directory" in p.stderr
    (tmp_path / "link").symlink_to(tmp_path / "file")
    p = dlint("extract", image, "/etc/passwd", str(tmp_path / "link"))
    assert p.returncode == 2 and "symbolic link" in p.stderr
    assert (tmp_path / "file").read_text() == "mine"
