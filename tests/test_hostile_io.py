"""Hostile input and output around `dlint check`: empty flags, control characters, planted
symlinks, special files, closed and full standard streams. Each input is made here."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CLEAN = b"FROM debian:bookworm-slim\nCMD [\"true\"]\n"


def dlint(*args: str, stdin=None, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "dlint", *args], stdin=stdin, capture_output="stdout" not in kw, cwd=cwd, timeout=60,
        check=False, **kw,
    )
    if proc.stderr is not None:
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


@pytest.mark.parametrize("value", ["", ",,,", " , "])
def test_empty_select_is_a_usage_error(tmp_path, value):
    (tmp_path / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", "--isolated", "--select", value, str(tmp_path / "Dockerfile"))
    assert p.returncode == 2
    assert p.stderr.decode() == "dlint: --select: no rule codes given (ALL selects every rule)\n"
    assert p.stdout == b""


def test_empty_ignore_still_allowed(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", "--isolated", "--ignore", "", str(tmp_path / "Dockerfile"))
    assert p.returncode == 0, p.stderr


def raw_controls(data: bytes) -> list[int]:
    """The control bytes in `data` other than the newline that ends each line (UTF-8 text: C1 is two bytes)."""
    text = data.decode()
    return [ord(c) for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]


def test_printable_escapes_c0_del_and_c1_only():
    from dlint.output import printable

    assert printable("a\nb\rc\x1b[31m\x7f\x9b\té ü") == "a\\x0ab\\x0dc\\x1b[31m\\x7f\\x9b\\x09é ü"
    assert printable("plain path/Dockerfile") == "plain path/Dockerfile"


def test_path_with_newline_cannot_start_a_workflow_command(tmp_path):
    hostile = tmp_path / "x\n::set-env name=PATH::evil\r"
    hostile.mkdir()
    for target in (hostile, hostile / "Dockerfile"):  # nothing found; cannot read
        p = dlint("check", "--isolated", str(target))
        assert p.returncode in (0, 2)
        lines = p.stderr.decode().splitlines()
        assert all(line.startswith("dlint: ") for line in lines), lines
        assert not raw_controls(p.stderr)
        assert "x\\x0a::set-env name=PATH::evil\\x0d" in p.stderr.decode()


@pytest.mark.parametrize("fmt", ["text", "gnu"])
def test_dockerfile_cannot_send_escape_sequences(tmp_path, fmt):
    name = tmp_path / "a\x1b[2Jb"
    name.mkdir()
    (name / "Dockerfile").write_bytes(b"FROM deb\x1b[2Jian\nRUN apt-get install -y cu\x1b]0;t\x07rl\xc2\x9b\n")
    p = dlint("check", "--isolated", "--format", fmt, str(name / "Dockerfile"))
    assert p.returncode == 1
    out = p.stdout.decode()
    assert not raw_controls(p.stdout) and not raw_controls(p.stderr)
    assert "deb\\x1b[2Jian" in out and "a\\x1b[2Jb/Dockerfile:1:" in out
    assert all(line.startswith(str(tmp_path)) for line in out.splitlines())


def bad_dockerfile(tmp_path: Path, runs: int = 1) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian\n" + b"RUN apt-get install -y curl\n" * runs)
    return path


@pytest.mark.parametrize("victim_is", ["file", "directory"])
def test_output_replaces_a_planted_symlink_and_leaves_its_target_alone(tmp_path, victim_is):
    victim = tmp_path / "victim"
    if victim_is == "file":
        victim.write_text("precious\n")
    else:
        victim.mkdir()
        (victim / "kept").write_text("precious\n")
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    report.symlink_to(victim)
    p = dlint("check", "--isolated", "-f", "json", "-o", str(report), str(bad_dockerfile(tmp_path)))
    assert p.returncode == 1, p.stderr
    assert (victim if victim_is == "file" else victim / "kept").read_text() == "precious\n"
    assert not report.is_symlink() and '"DL3006"' in report.read_text()
    assert sorted(x.name for x in report.parent.iterdir()) == ["report.json"]  # no temporary file left


def test_output_to_a_stream_is_written_not_replaced(tmp_path):
    p = dlint("check", "--isolated", "-o", "/dev/stdout", str(bad_dockerfile(tmp_path)))
    assert p.returncode == 1 and b"DL3006" in p.stdout
    p = dlint("check", "--isolated", "-o", "/dev/null", str(bad_dockerfile(tmp_path)))
    assert p.returncode == 1 and Path("/dev/null").is_char_device()


def test_failed_write_keeps_the_earlier_report_and_no_temporary_file(tmp_path):
    from dlint.output import OutputError, write_output

    target = tmp_path / "report.txt"
    target.write_text("earlier report\n")
    target.chmod(0o640)
    with pytest.raises(OutputError, match=r"^cannot write .*report\.txt: "):
        write_output("x" * 100_000 + "\ud800", str(target))  # a lone surrogate: UTF-8 cannot encode it
    assert target.read_text() == "earlier report\n"
    assert [x.name for x in tmp_path.iterdir()] == ["report.txt"]
    write_output("new report\n", str(target))
    assert target.read_text() == "new report\n" and target.stat().st_mode & 0o777 == 0o640


@contextlib.contextmanager
def tiny_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` for the test's duration: a disk that fills."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_disk_full_keeps_the_earlier_report(tmp_path):
    with tiny_tmpfs(tmp_path / "disk", "16k") as disk:
        target = disk / "report.txt"
        target.write_text("earlier report\n")
        p = dlint("check", "--isolated", "-o", str(target), str(bad_dockerfile(tmp_path, runs=400)))
        assert p.returncode == 2
        assert f"dlint: cannot write {target}: No space left on device\n" in p.stderr.decode()
        assert target.read_text() == "earlier report\n"
        assert [x.name for x in disk.iterdir()] == ["report.txt"]


def test_a_full_temporary_directory_stops_a_document_report_and_keeps_the_earlier_one(tmp_path):
    """SARIF's parts wait in a spool until the rule table is known; when TMPDIR fills, that is one line, exit 2."""
    with tiny_tmpfs(tmp_path / "tmp", "64k") as disk:
        target = tmp_path / "dlint.sarif"
        target.write_text("earlier report\n")
        source = bad_dockerfile(tmp_path, runs=3000)  # a SARIF document of several MB: past the spool's memory
        p = dlint("check", "--isolated", "-f", "sarif", "-o", str(target), str(source), env={**os.environ, "TMPDIR": str(disk)})
        assert p.returncode == 2
        assert f"dlint: cannot keep the sarif report's parts in {disk}: No space left on device\n" in p.stderr.decode()
        assert target.read_text() == "earlier report\n"
        assert list(disk.iterdir()) == [] and sorted(x.name for x in tmp_path.iterdir()) == ["Dockerfile", "dlint.sarif", "tmp"]


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path):  # named, and found in a directory
        p = dlint("check", "--isolated", str(target))
        assert p.returncode == 2
        assert p.stderr.decode().splitlines()[0] == f"dlint: {fifo}: not a regular file (a FIFO), not read"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device):
    p = dlint("check", "--isolated", device)
    assert p.returncode == 2
    assert p.stderr.decode().splitlines() == [
        f"dlint: {device}: not a regular file (a character device), not read",
        "dlint: no findings in 0 files, 1 file not read",
    ]


def test_size_cap_on_files_and_stdin(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(CLEAN + b"# " + b"x" * 2000 + b"\n")
    p = dlint("check", "--isolated", "--max-file-size", "1000", str(path))
    assert p.returncode == 2
    assert p.stderr.decode().splitlines()[0] == f"dlint: {path}: larger than 1000 bytes (--max-file-size), not read"
    p = dlint("check", "--isolated", "--max-file-size", "1000", "-", stdin=path.open("rb"))
    assert p.returncode == 2
    assert p.stderr.decode().splitlines()[0] == "dlint: <stdin>: larger than 1000 bytes (--max-file-size), not read"
    p = dlint("check", "--isolated", "--max-file-size", str(path.stat().st_size), str(path))
    assert p.returncode == 0, p.stderr


def test_default_cap_is_one_megabyte(tmp_path):
    """The bound on memory for a hostile file: short RUNs cost ~250 bytes per byte while the rules run."""
    path = tmp_path / "Dockerfile"
    lines, rest = divmod(1_000_000 - len(CLEAN), 100)
    at_limit = CLEAN + (b"#" * 99 + b"\n") * lines + b"#" * (rest - 1) + b"\n"
    path.write_bytes(at_limit)
    assert len(at_limit) == 1_000_000 and dlint("check", str(path)).returncode == 0  # at the limit: read, no finding
    path.write_bytes(at_limit + b"\n")
    p = dlint("check", str(path))
    assert p.returncode == 2
    assert p.stderr.decode().splitlines()[0] == f"dlint: {path}: larger than 1000000 bytes (--max-file-size), not read"


BARE_AND_TYPER = [(), ("--",)]  # read by checkargs.py (main.py), and by the typer CLI (`--` is left to it)


@pytest.mark.parametrize("extra", BARE_AND_TYPER)
def test_closed_stdin(extra):
    p = subprocess.run(
        [sys.executable, "-m", "dlint", "check", *extra, "-"], capture_output=True, timeout=60, close_fds=True, check=False,
        preexec_fn=lambda: __import__("os").close(0),
    )
    assert p.returncode == 2
    assert p.stderr.decode().splitlines() == [
        "dlint: <stdin>: cannot read: stdin is closed", "dlint: no findings in 0 files, 1 file not read",
    ]


def stdout_to(target: str | None, args: list[str], stdin=None) -> subprocess.CompletedProcess:
    """dlint with stdout closed (None) or sent to `target`."""
    import os

    def child():
        if target is None:
            os.close(1)
        else:
            os.dup2(os.open(target, os.O_WRONLY), 1)

    return subprocess.run([sys.executable, "-m", "dlint", *args], stderr=subprocess.PIPE, stdin=stdin,
                          timeout=60, preexec_fn=child, check=False)


@pytest.mark.parametrize("extra", BARE_AND_TYPER)
@pytest.mark.parametrize("target", [None, "/dev/full"])
def test_stderr_closed_or_full_keeps_the_exit_code(tmp_path, extra, target):
    """`2>&-` or `2>/dev/full`: the messages are lost, but not the answer: 0 clean, 1 findings, 2 bad input
    (a traceback from writing the summary made every one of them 1). A report file is still written."""
    def child():
        if target is None:
            os.close(2)
        else:
            os.dup2(os.open(target, os.O_WRONLY), 2)

    clean = tmp_path / "clean.Dockerfile"
    clean.write_text("FROM debian:12\n")
    bad = bad_dockerfile(tmp_path)
    for options, path, code in (([], clean, 0), ([], bad, 1), ([], tmp_path / "missing", 2), (["--jobs", "x"], clean, 2)):
        p = subprocess.run([sys.executable, "-m", "dlint", "check", "--isolated", *options, *extra, str(path)], stdout=subprocess.PIPE,
                           timeout=60, preexec_fn=child, check=False)
        assert p.returncode == code, (options, path, p.stdout)
    report = tmp_path / "r.sarif"
    p = subprocess.run([sys.executable, "-m", "dlint", "check", "--isolated", "-f", "sarif", "-o", str(report), *extra, str(bad)],
                       timeout=60, preexec_fn=child, check=False)
    assert p.returncode == 1 and json.loads(report.read_text())["runs"][0]["results"]
    p = subprocess.run([sys.executable, "-m", "dlint", "analyse", "--archive", str(tmp_path / "missing.tar")],
                       timeout=60, preexec_fn=child, check=False)
    assert p.returncode == 2


@pytest.mark.parametrize("extra", BARE_AND_TYPER)
@pytest.mark.parametrize(("target", "reason"), [(None, "it is closed"), ("/dev/full", "No space left on device")])
def test_stdout_closed_or_full(tmp_path, extra, target, reason):
    df = bad_dockerfile(tmp_path)
    p = stdout_to(target, ["check", *extra, str(df)])
    assert p.returncode == 2
    assert b"Traceback" not in p.stderr and b"Exception ignored" not in p.stderr
    assert p.stderr.decode().splitlines()[0] == f"dlint: cannot write stdout: {reason}"
    p = stdout_to(target, ["check", "--fix", *extra, "-"], stdin=df.open("rb"))
    assert p.returncode == 2
    assert p.stderr.decode() == f"dlint: cannot write stdout: {reason}\n"


@pytest.mark.parametrize("command", [["check", "--jobs", "1"], ["check", "--jobs", "2", "--format", "sarif"], ["check", "--"]])
def test_a_reader_that_leaves_early_ends_the_run_quietly_with_141(tmp_path, command):
    """`dlint check . | head -1`: no message on the terminal, and the exit code a shell gives a tool
    SIGPIPE ended (not 1, which would claim findings); through checkargs and through typer (`--`)."""
    for i in range(300):
        (tmp_path / f"{i}.Dockerfile").write_bytes(b"FROM debian\n" + b"RUN apt-get install -y curl\n" * 20)
    proc = subprocess.Popen([sys.executable, "-m", "dlint", *command, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""


def test_a_tree_twelve_hundred_directories_deep_is_searched(tmp_path):
    fds = [os.open(tmp_path, os.O_RDONLY)]
    try:
        for _ in range(1200):  # os.walk recursed once per level: a RecursionError past ~1,000
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        with open(os.open("Dockerfile", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1]), "wb") as f:
            f.write(b"FROM debian\n")
        p = dlint("check", str(tmp_path))
        out = p.stdout.decode()
        assert p.returncode == 1, p.stderr[-300:]
        assert out.count("DL3006") == 1 and "/d/d/Dockerfile:1:6: DL3006" in out
    finally:  # bottom up: pytest's own clean-up (shutil.rmtree) recurses too
        if len(fds) == 1201:
            os.unlink("Dockerfile", dir_fd=fds[-1])
        for parent, child in reversed(list(itertools.pairwise(fds))):
            os.close(child)
            os.rmdir("d", dir_fd=parent)
        os.close(fds[0])


def test_a_fifo_named_gitignore_does_not_hang_directory_search(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    os.mkfifo(tmp_path / ".gitignore")  # git itself reads no patterns from it
    (tmp_path / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", str(tmp_path))
    assert (p.returncode, p.stdout) == (0, b"")


def test_directories_named_gitignore_cost_no_file_descriptor(tmp_path):
    import resource

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for i in range(300):
        (tmp_path / f"p{i}" / ".gitignore").mkdir(parents=True)  # a directory where git expects the file
        (tmp_path / f"p{i}" / "Dockerfile").write_bytes(CLEAN)
    p = dlint("check", "--format", "json", str(tmp_path),
              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128)))
    assert p.returncode == 0, p.stderr[-300:]
    assert p.stderr.decode() == "dlint: no findings in 300 files\n"  # every one read: no descriptor ran out


def test_a_directory_search_does_not_read_a_link_to_a_file_outside_it(tmp_path):
    """A pull request's `Dockerfile.x -> ../secret` had the secret's lines quoted in the findings (`unknown instruction: ...`)."""
    (tmp_path / "secret").write_text("aws_secret_access_key = hunter2\n")
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / "Dockerfile.x").symlink_to("../secret")
    (repo / "sub" / "Dockerfile").symlink_to("../Dockerfile.x")  # through a link inside, to the outside
    (repo / "real.Dockerfile").write_text("FROM alpine\n")
    (repo / "sub" / "inner.Dockerfile").symlink_to("../real.Dockerfile")  # a link inside the tree is read
    proc = dlint("check", "-f", "json", ".", cwd=repo)
    assert b"aws_secret_access_key" not in proc.stdout.lower() + proc.stderr.lower()
    assert sorted({f["file"] for f in json.loads(proc.stdout)}) == ["real.Dockerfile", "sub/inner.Dockerfile"]
    assert b"aws_secret_access_key" in dlint("check", "Dockerfile.x", cwd=repo).stdout  # named, it is read: the user chose it


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_leaves_during_one_files_long_report_still_ends_with_141(tmp_path, fmt):
    """One file's report is one write; a pipe's reader leaving mid-write made that write return short, which
    Python's buffered stdout took for done: the run went on, said its summary and exited 1."""
    df = tmp_path / "Dockerfile"
    df.write_bytes(b"FROM debian\n" + b"RUN apt-get install -y curl\n" * 5000)  # ~2 MB of findings, far past a pipe
    proc = subprocess.Popen([sys.executable, "-m", "dlint", "check", "--format", fmt, str(df)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""
