"""The path-safety rules of `dlint extract`, on hand-made tar streams (no engine needed)."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest

from dlint.analyse.extract import ExtractError, PathStat, member_parts, unpack

MTIME = 1_600_000_000


def tar_stream(*members: tuple) -> io.BytesIO:
    """Members as (kind, name, extra): ("file", name, data[, mode]), ("dir", name[, mode]),
    ("sym", name, target), ("hard", name, target), ("fifo", name)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, *rest in members:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            data = None
            if kind == "file":
                data = rest[0]
                info.size = len(data)
                info.mode = rest[1] if len(rest) > 1 else 0o644
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = rest[0] if rest else 0o755
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, rest[0]
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, rest[0]
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buf.seek(0)
    return buf


def run(tmp_path: Path, stream: io.BytesIO, top: str = "etc", image_path: str = "/etc", name: str = "out"):
    dest = tmp_path / "dest"
    dest.mkdir(exist_ok=True)
    report = unpack(stream, top=top, image_path=image_path, parent=dest, name=name)
    return dest / name, report


def host_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_files_directories_and_modes_are_kept_but_not_setuid(tmp_path):
    out, report = run(
        tmp_path,
        tar_stream(
            ("dir", "etc", 0o755),
            ("file", "etc/passwd", b"root:x:0:0\n", 0o644),
            ("dir", "etc/ro", 0o555),
            ("file", "etc/ro/tool", b"#!/bin/sh\n", 0o4755),
        ),
    )
    assert (out / "passwd").read_bytes() == b"root:x:0:0\n"
    assert stat.S_IMODE((out / "ro" / "tool").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "ro").stat().st_mode) == 0o555  # set after its children were written
    assert (out / "passwd").stat().st_mtime == MTIME
    assert (report.files, report.directories, report.bytes, report.warnings) == (2, 2, 21, [])


@pytest.mark.parametrize(
    "name",
    ["/etc/shadow", "etc/../../escaped", "../escaped", "etc/./x", "other/file", "etc//x"],
)
def test_members_outside_the_requested_path_are_refused(tmp_path, name):
    out, report = run(tmp_path, tar_stream(("dir", "etc"), ("file", name, b"evil")))
    assert host_files(tmp_path) == {"dest", "dest/out"}
    assert report.files == 0 and len(report.warnings) == 1 and name in report.warnings[0]


def test_a_member_is_never_written_through_a_link_already_on_the_host(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "dest" / "out").mkdir(parents=True)
    (tmp_path / "dest" / "out" / "lib").symlink_to(outside)
    out, report = run(tmp_path, tar_stream(("dir", "etc"), ("file", "etc/lib/evil", b"x"), ("dir", "etc/lib/sub")))
    assert list(outside.iterdir()) == []
    assert len(report.warnings) == 2 and all("not a directory" in w for w in report.warnings)


def test_a_link_in_the_archive_never_redirects_later_members(tmp_path):
    # Links are made last: `d` stays a real directory and the link that wanted it is skipped.
    out, report = run(tmp_path, tar_stream(("dir", "etc"), ("sym", "etc/d", "/"), ("file", "etc/d/evil", b"x")))
    assert (out / "d" / "evil").read_bytes() == b"x" and not (out / "d").is_symlink()
    assert report.links == 0 and any("etc/d" in w for w in report.warnings)


def test_an_existing_file_is_replaced_not_written_into(tmp_path):
    # Writing into an existing inode would change every hard link to it, some maybe outside DEST.
    outside = tmp_path / "outside-file"
    outside.write_bytes(b"keep me")
    (tmp_path / "dest" / "out").mkdir(parents=True)
    os.link(outside, tmp_path / "dest" / "out" / "passwd")
    out, _ = run(tmp_path, tar_stream(("dir", "etc"), ("file", "etc/passwd", b"new")))
    assert outside.read_bytes() == b"keep me" and (out / "passwd").read_bytes() == b"new"


def test_links_inside_the_tree_become_relative_and_others_are_skipped(tmp_path):
    out, report = run(
        tmp_path,
        tar_stream(
            ("dir", "etc"),
            ("file", "etc/passwd", b"root\n"),
            ("dir", "etc/alternatives"),
            ("sym", "etc/alternatives/awk", "/usr/bin/mawk"),  # the image's /usr: not extracted
            ("sym", "etc/alternatives/pw", "/etc/passwd"),  # absolute, inside the tree
            ("sym", "etc/chain1", "chain2"),
            ("sym", "etc/chain2", "alternatives/pw"),
            ("sym", "etc/up", "../../../../../etc/passwd"),  # `..` stops at the image's root
            ("sym", "etc/escape", "../../../../../home/user/.ssh"),
        ),
    )
    assert os.readlink(out / "alternatives" / "pw") == "../passwd"
    assert os.readlink(out / "chain1") == "chain2"  # the chain keeps its shape
    assert os.readlink(out / "up") == "passwd"
    assert (out / "chain1").read_bytes() == b"root\n"
    assert not (out / "alternatives" / "awk").exists() and not (out / "escape").is_symlink()
    assert report.links == 4
    assert sorted(w.split(" ->")[0] for w in report.warnings) == [
        "skipped link /etc/alternatives/awk",
        "skipped link /etc/escape",
    ]


def test_link_targets_follow_directory_links_of_the_image(tmp_path):
    # /usr/lib64 -> lib: `../lib64/libc.so` is really /usr/lib/libc.so. And `b/../../..` walks
    # up from where `b` points, not from where it is written: it leaves /usr and is refused.
    out, report = run(
        tmp_path,
        tar_stream(
            ("dir", "usr"),
            ("dir", "usr/lib"),
            ("file", "usr/lib/libc.so", b"elf"),
            ("sym", "usr/lib64", "lib"),
            ("dir", "usr/d1"),
            ("dir", "usr/d1/d2"),
            ("sym", "usr/d1/d2/b", "../../lib"),
            ("sym", "usr/d1/d2/x", "b/../../.."),
            ("dir", "usr/bin"),
            ("sym", "usr/bin/libc", "../lib64/libc.so"),
            ("sym", "usr/loop", "loop/x"),
        ),
        top="usr",
        image_path="/usr",
    )
    assert os.readlink(out / "bin" / "libc") == "../lib/libc.so"
    assert (out / "bin" / "libc").read_bytes() == b"elf"
    assert not (out / "d1" / "d2" / "x").is_symlink()
    assert {w.split(":")[-1].strip() for w in report.warnings} == {
        "points outside the extracted tree",
        "a loop of links in the image",
    }


def test_whole_root_filesystem_names_are_rebased(tmp_path):
    # The engine archives `/` as "" and "/bin", "/etc/...": absolute names that are fine here only.
    out, report = run(
        tmp_path,
        tar_stream(("dir", ""), ("sym", "/bin", "usr/bin"), ("dir", "/usr"), ("dir", "/usr/bin"), ("file", "/usr/bin/sh", b"sh")),
        top="/",
        image_path="/",
        name="rootfs",
    )
    assert os.readlink(out / "bin") == "usr/bin" and (out / "bin" / "sh").read_bytes() == b"sh"
    assert report.warnings == []


def test_hard_links_only_to_files_of_the_same_archive(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s")
    out, report = run(
        tmp_path,
        tar_stream(
            ("dir", "etc"),
            ("file", "etc/a", b"data"),
            ("hard", "etc/b", "etc/a"),
            ("hard", "etc/c", str(secret)),
            ("hard", "etc/d", "etc/../secret"),
            ("fifo", "etc/fifo"),
        ),
    )
    assert (out / "b").read_bytes() == b"data" and (out / "a").stat().st_ino == (out / "b").stat().st_ino
    assert sorted(p.name for p in out.iterdir()) == ["a", "b"]
    assert report.files == 2 and len(report.warnings) == 3


def test_the_entry_itself_failing_is_an_error(tmp_path):
    (tmp_path / "dest" / "out").mkdir(parents=True)
    with pytest.raises(ExtractError, match="directory is in the way"):
        run(tmp_path, tar_stream(("file", "passwd", b"x")), top="passwd", image_path="/etc/passwd")
    with pytest.raises(ExtractError, match="not a single path component"):
        run(tmp_path, tar_stream(("file", "x", b"x")), top="..", image_path="/")


def test_member_parts():
    assert member_parts("etc", "etc") == ()
    assert member_parts("etc/a/b/", "etc") == ("a", "b")
    assert member_parts("etcetera/a", "etc") is None
    assert member_parts("", "/") == () and member_parts("/a", "/") == ("a",)
    assert member_parts("a", "/") is None


def test_path_stat_reads_go_file_modes():
    def header(**kw):
        return base64.b64encode(json.dumps({"name": "x", "size": 1, "mtime": "", **kw}).encode()).decode()

    directory = PathStat.from_header(header(mode=2147484141, linkTarget=""))
    link = PathStat.from_header(header(mode=134218239, linkTarget="/usr/bin/mawk"))
    plain = PathStat.from_header(header(mode=0o644))
    assert (directory.is_dir, directory.is_symlink) == (True, False)
    assert (link.is_dir, link.is_symlink, link.link_target) == (False, True, "/usr/bin/mawk")
    assert (plain.is_dir, plain.is_symlink) == (False, False)
    with pytest.raises(ExtractError):
        PathStat.from_header("not base64 json")
