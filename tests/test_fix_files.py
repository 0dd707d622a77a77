"""`--fix` and the user's file: owner, group, mode and extended attributes kept; hard links,
read-only files, files with parse errors and files edited meanwhile are left as they are."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest
from machine import unavailable

from dlint.lint.engine import Selection
from dlint.lint.fix import FixError, FixMode, fix_file, fix_text, write_atomic

BAD = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y b a\n"
FIXED_PART = "apt-get install -y a b"


def dlint(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_owner_group_mode_and_xattrs_are_kept(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_text(BAD)
    os.chmod(f, 0o640)
    if os.geteuid() == 0:
        os.chown(f, 1234, 2345)
    xattr = hasattr(os, "setxattr")
    if xattr:
        try:
            os.setxattr(f, "user.dlint-test", b"kept")
        except OSError:
            xattr = False
    p = dlint("check", "--fix", str(f))
    assert p.returncode == 1, p.stderr  # findings remain (pins), but it was written
    assert FIXED_PART in f.read_text()
    st = f.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1234, 2345)
    if xattr:
        assert os.getxattr(f, "user.dlint-test") == b"kept"
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temporary file left


@pytest.mark.parametrize("shape", ["hardlink", "readonly"])
def test_hard_links_and_read_only_files_are_refused_unless_forced(tmp_path, shape):
    f = tmp_path / "Dockerfile"
    f.write_text(BAD)
    if shape == "hardlink":
        os.link(f, tmp_path / "other")
    else:
        os.chmod(f, 0o444)
    p = dlint("check", "--fix", str(f))
    assert p.returncode == 2
    lines = [line for line in p.stderr.splitlines() if "not written" in line]
    assert len(lines) == 1 and ("hard links" in lines[0] if shape == "hardlink" else "read-only" in lines[0])
    assert f.read_text() == BAD
    forced = dlint("check", "--fix", "--force", str(f))
    assert forced.returncode == 1, forced.stderr
    assert FIXED_PART in f.read_text()
    if shape == "hardlink":
        assert (tmp_path / "other").read_text() == BAD  # the other name keeps the old text: why it is refused
    else:
        assert stat.S_IMODE(f.stat().st_mode) == 0o444
    assert dlint("check", "--force", str(f)).returncode == 2  # --force alone is a usage error


def test_a_file_with_a_parse_error_is_never_fixed(tmp_path):
    f = tmp_path / "Dockerfile"
    text = "FROM debian:bookworm-slim\nCOPY --from build /x /y\nRUN apt-get update && apt-get install -y b a\n"
    f.write_text(text)
    p = dlint("check", "--fix", "--format", "json", str(f))
    assert f.read_text() == text
    assert '"DL1000"' in p.stdout


def test_an_edit_made_while_fixing_is_kept(tmp_path, monkeypatch):
    """The user saves between dlint's read and its write: the file is left as the user left it."""
    f = tmp_path / "Dockerfile"
    f.write_text(BAD)
    from dlint.lint import fix

    real_keep = fix._keep_attributes

    def edit_meanwhile(*args):
        real_keep(*args)
        with open(f, "a") as fh:  # same size would be caught by mtime_ns / inode; here the size changes
            fh.write("# the user's edit\n")

    monkeypatch.setattr(fix, "_keep_attributes", edit_meanwhile)
    with pytest.raises(FixError, match="changed while dlint was fixing it"):
        write_atomic(str(f), BAD, BAD.replace("b a", "a b"))
    assert f.read_text() == BAD + "# the user's edit\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]
    result, _, _ = fix_file(str(f), BAD, Selection.default(), FixMode())  # the text read is stale now
    assert result.error and "changed while dlint was fixing it" in result.error


def test_eight_concurrent_fixes_leave_whole_files_and_no_temporary_files(tmp_path):
    texts = [BAD.replace("b a", f"b{i} a{i}") for i in range(20)]
    expected = [fix_text(t, "Dockerfile", Selection.default())[0].text for t in texts]
    assert all(e != t for e, t in zip(expected, texts))
    for i, text in enumerate(texts):
        (tmp_path / f"{i}.Dockerfile").write_text(text)
    results = []

    def run():
        results.append(dlint("check", "--fix", str(tmp_path)))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.returncode in (1, 2) for r in results), [r.stderr for r in results]
    for i in range(20):
        assert (tmp_path / f"{i}.Dockerfile").read_text() == expected[i]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{i}.Dockerfile" for i in range(20))


def test_diff_and_fix_agree_on_a_file_with_a_byte_order_mark(tmp_path):
    """The printed patch, applied with patch(1) without fuzz, gives what --fix writes."""
    import shutil

    if shutil.which("patch") is None:
        unavailable("patch(1) is not installed (Debian: patch)")
    data = b"\xef\xbb\xbfFROM debian:bookworm-slim AS b\r\nrun apt-get update && apt-get install -y b a"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for d in ("a", "b"):
        (tmp_path / d / "Dockerfile").write_bytes(data)
    diff = subprocess.run([sys.executable, "-m", "dlint", "check", "--diff", "Dockerfile"], capture_output=True,
                          cwd=tmp_path / "a", timeout=120, check=False).stdout  # bytes: each line keeps its CR
    assert diff.startswith(b"--- Dockerfile")
    dlint("check", "--fix", "Dockerfile", cwd=tmp_path / "b")
    subprocess.run(["patch", "-F0", "-s", "Dockerfile"], input=diff, cwd=tmp_path / "a", check=True)
    assert (tmp_path / "a" / "Dockerfile").read_bytes() == (tmp_path / "b" / "Dockerfile").read_bytes()
    assert (tmp_path / "b" / "Dockerfile").read_bytes().startswith(b"\xef\xbb\xbf")


NAMES = [b"a b.Dockerfile", b"x\n::error::pwned\x1b[2J.Dockerfile", b"t\tab.Dockerfile", b'q"uo\\te.Dockerfile',
         "café.Dockerfile".encode(), b"bad\xff.Dockerfile", b"plain.Dockerfile"]


def test_diff_names_every_file_so_that_patch_applies_it_and_no_name_breaks_a_line(tmp_path):
    """A name with a space, a newline, an ESC, a tab, a quote, a backslash, UTF-8 or bytes that are not:
    git's quoting (C escapes in double quotes, a tab after a name with a space), which GNU patch reads."""
    import shutil

    if shutil.which("patch") is None:
        unavailable("patch(1) is not installed (Debian: patch)")
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        for name in NAMES:
            (tmp_path / d / os.fsdecode(name)).write_bytes(b"FROM debian:12\nRUN apt-get update && apt-get install -y curl\n")
    diff = subprocess.run([sys.executable, "-m", "dlint", "check", "--diff", "."], capture_output=True,
                          cwd=tmp_path / "a", timeout=120, check=False).stdout
    headers = [line for line in diff.split(b"\n") if line.startswith((b"--- ", b"+++ "))]
    assert len(headers) == 2 * len(NAMES)
    assert not any(c in diff for c in (b"\x1b", b"\r")) and b"\n::" not in diff
    assert b'--- "x\\n::error::pwned\\033[2J.Dockerfile"' in headers and b"--- a b.Dockerfile\t" in headers
    dlint("check", "--fix", ".", cwd=tmp_path / "b")
    subprocess.run(["patch", "-p0", "-F0", "-s"], input=diff, cwd=tmp_path / "a", check=True)
    for name in NAMES:
        fixed = (tmp_path / "b" / os.fsdecode(name)).read_bytes()
        assert fixed.endswith(b"rm -rf /var/lib/apt/lists/*\n")
        assert (tmp_path / "a" / os.fsdecode(name)).read_bytes() == fixed
