"""`dlint check --jobs N`: the same bytes as one process; a crash costs one file; reports stream in file order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlint import exitcodes
from dlint.lint import runner
from dlint.lint.command import CheckOptions, run
from dlint.report.render import FORMATS

SEEDS = [
    "FROM debian:bookworm-slim\nRUN apt-get update\nRUN apt-get install -y curl wget\n",
    "FROM alpine:3.19\nRUN apk add curl\nWORKDIR app\nCMD node server.js\n",
    "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\nUSER root\n",
    "FROM scratch\nCOPY --from=build /out /bin/out\n",  # DL1000-style trouble: an unknown stage
    "FROM ubuntu\nRUN cd /tmp && curl -sL http://x | sh\nMAINTAINER me\n",
    "FROM debian:bookworm-slim\n# hadolint ignore=DL3008\nRUN apt-get install -y --no-install-recommends git\n",
]


def tree(root: Path, files: int) -> Path:
    """`files` Dockerfiles in nested directories, varied so findings, clean files and errors all occur."""
    for i in range(files):
        d = root / f"svc{i % 7}" / f"part{i}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "Dockerfile").write_text(SEEDS[i % len(SEEDS)] + f"LABEL n={i}\n" * (i % 3), encoding="utf-8")
    (root / "svc0" / "bin.Dockerfile").write_bytes(b"FROM x\n\xff\xfe\n")  # not UTF-8: an unreadable file
    return root


def dlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "dlint", *args], capture_output=True, cwd=cwd, timeout=300, check=False)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


def every_format(target: str, jobs: int, out: Path) -> tuple[subprocess.CompletedProcess, dict[str, bytes]]:
    """One run writing every format to a file (and text to stdout); the reports' bytes by format."""
    out.mkdir()
    args = ["check", target, "--jobs", str(jobs), "--format", "text"]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(out / fmt)]
    proc = dlint(*args, cwd=Path(target).parent if os.path.isabs(target) else out.parent)
    return proc, {fmt: (out / fmt).read_bytes() for fmt in FORMATS}


def assert_same_at_any_jobs(target: Path, tmp_path: Path) -> None:
    one, one_reports = every_format(str(target), 1, tmp_path / "one")
    two, two_reports = every_format(str(target), 2, tmp_path / "two")
    assert one.returncode in (exitcodes.FINDINGS, exitcodes.USAGE)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    for fmt in FORMATS:
        assert two_reports[fmt] == one_reports[fmt], fmt
    assert json.loads(one_reports["json"]), "the comparison is empty: nothing was linted"


def test_jobs_2_writes_the_bytes_jobs_1_writes_on_a_generated_tree(tmp_path):
    assert_same_at_any_jobs(tree(tmp_path / "repo", 150), tmp_path)


def test_jobs_2_writes_the_bytes_jobs_1_writes_on_the_corpus(tmp_path, corpus):
    real = corpus / "real"
    if not real.is_dir():
        pytest.skip(f"no corpus of real Dockerfiles at {real} (DLINT_CORPUS names the corpus directory)")
    assert_same_at_any_jobs(real, tmp_path)


def test_default_jobs_is_one_per_cpu_only_past_a_few_dozen_files(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3}, raising=False)
    assert runner.default_jobs(runner.PARALLEL_FROM - 1) == 1
    assert runner.default_jobs(runner.PARALLEL_FROM) == 4
    assert runner.default_jobs(100_000) == 4


def test_default_jobs_starts_workers_on_a_large_tree(tmp_path, monkeypatch):
    """Without --jobs, a tree of 40 files goes to worker processes; 5 files stay in this one."""
    used: list[int] = []
    from dlint.lint import parallel

    real = parallel.check_in_workers
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(parallel, "check_in_workers", lambda work, n: used.append(n) or real(work, n))
    work = runner.plan([str(tree(tmp_path / "big", 40))])
    assert len(list(runner.results(work))) == 41 and used == [2]
    used.clear()
    work = runner.plan([str(tree(tmp_path / "small", 5))])
    assert len(list(runner.results(work))) == 6 and used == []


def crash_on(monkeypatch, name: str, how) -> None:
    """The parser fails (as a real dlint bug would) on files whose path ends with `name`."""
    parse = runner.parse

    def broken(text, path):
        if path.endswith(name):
            how()
        return parse(text, path)

    monkeypatch.setattr(runner, "parse", broken)


def deep_recursion():
    def down(n):
        return down(n + 1)

    down(0)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crash_on_one_file_is_a_DL1002_finding_there_and_every_report_is_written(tmp_path, monkeypatch, capsys, jobs):
    root = tree(tmp_path / "repo", 40)
    crash_on(monkeypatch, "part7/Dockerfile", deep_recursion)  # workers are forked: they carry the patch
    sarif = tmp_path / "x.sarif"
    code = run(CheckOptions((str(root),), (("json", None), ("sarif", str(sarif))), jobs=jobs))
    out, err = capsys.readouterr()
    assert code == exitcodes.USAGE
    findings = json.loads(out)
    crashed = [f for f in findings if f["code"] == "DL1002"]
    assert [(f["file"], f["line"], f["level"]) for f in crashed] == [(str(root / "svc0/part7/Dockerfile"), 1, "error")]
    assert "internal error in the parser: RecursionError" in crashed[0]["message"]
    assert "Traceback" not in err and f"internal error in the parser on {root}/svc0/part7/Dockerfile" in err
    assert len({f["file"] for f in findings}) >= 30  # every other file still reported
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert "DL1002" in {r["ruleId"] for r in results}


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch, capsys):
    root = tree(tmp_path / "repo", 40)
    crash_on(monkeypatch, "part9/Dockerfile", lambda: os._exit(9))  # as the OOM killer or a segfault would
    code = run(CheckOptions((str(root),), (("json", None),), jobs=2))
    out, err = capsys.readouterr()
    findings = json.loads(out)
    assert code == exitcodes.USAGE
    assert [f["file"] for f in findings if f["code"] == "DL1002"] == [str(root / "svc2/part9/Dockerfile")]
    assert "internal error in the worker process" in err and "Traceback" not in err
    assert len({f["file"] for f in findings}) >= 30


def test_a_worker_dying_while_the_reader_is_slow_costs_only_its_file(tmp_path, monkeypatch):
    """The pool breaks while this process is busy writing an earlier result, so the next submission is the
    first to see it: every file is still reported, once, in order, with only the dead worker's file lost."""
    from dlint.lint.parallel import check_in_workers

    root = tree(tmp_path / "repo", 40)
    work = runner.plan([str(root)])
    victim = work.files[4][0]  # in the third chunk of two: submitted ahead, not the one read first
    crash_on(monkeypatch, victim, lambda: os._exit(9))
    seen = []
    for result in check_in_workers(work, 2):
        if not seen:
            time.sleep(1.0)  # a slow reader: the worker holding the victim dies meanwhile
        seen.append(result)
    assert [r.path for r in seen] == [path for path, _ in work.files]
    assert [r.path for r in seen if r.crashes] == [victim]


def test_a_crash_in_a_real_subprocess_still_writes_the_sarif(tmp_path):
    root = tree(tmp_path / "repo", 40)
    script = (
        "import sys\nfrom dlint.lint import runner\nparse = runner.parse\n"
        "def broken(text, path):\n"
        "    if path.endswith('part3/Dockerfile'):\n        raise KeyError('boom')\n"
        "    return parse(text, path)\n"
        "runner.parse = broken\nfrom dlint.main import main\nsys.argv = ['dlint', *sys.argv[1:]]\nsys.exit(main())\n"
    )
    for jobs in ("1", "2"):
        sarif = tmp_path / f"x{jobs}.sarif"
        proc = subprocess.run(
            [sys.executable, "-c", script, "check", str(root), "--jobs", jobs, "--format", "sarif", "--output", str(sarif)],
            capture_output=True, timeout=300, check=False,
        )
        assert proc.returncode == exitcodes.USAGE, proc.stderr.decode()
        assert b"Traceback" not in proc.stderr and b"internal error in the parser on" in proc.stderr
        results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
        crashed = [r for r in results if r["ruleId"] == "DL1002"]
        assert len(crashed) == 1 and "KeyError: 'boom'" in crashed[0]["message"]["text"]
        assert len({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}) >= 30


def test_findings_are_written_as_each_file_is_done_in_file_order(tmp_path, monkeypatch, capsys):
    """When the last file is parsed, every earlier file's lines are already out: nothing waits for the end."""
    root = tree(tmp_path / "repo", 30)
    files = [path for path, _ in runner.plan([str(root)]).files]
    seen: list[str] = []
    parse = runner.parse

    def watch(text, path):
        if path == files[-1]:
            seen.append(capsys.readouterr().out)
        return parse(text, path)

    monkeypatch.setattr(runner, "parse", watch)
    run(CheckOptions((str(root),), (("text", None),), jobs=1))
    before_last = seen[0].splitlines()
    reported = [line.split(":", 1)[0] for line in before_last]
    assert files[-1] not in reported
    assert len(set(reported)) >= 20 and reported == sorted(reported, key=files.index)


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
def test_memory_stays_flat_as_the_tree_grows(tmp_path, fmt):
    """Peak RSS over 4,000 files is within 40 MB of that over 250, for a streamed array (json) and for
    documents whose head needs the whole run (sarif's rule table, junit's counts): their parts are
    spooled, not kept as findings (that grew by ~110 MB here)."""
    peaks = []
    for n in (250, 4000):
        root = tree(tmp_path / f"t{n}", n)
        code = (
            "import resource, subprocess, sys\n"
            "p = subprocess.run([sys.executable, '-m', 'dlint', 'check', sys.argv[1], '--jobs', '1', "
            f"'--format', '{fmt}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, timeout=600, check=True)
        peaks.append(int(out.stdout))
    assert peaks[1] - peaks[0] < 40_000, peaks  # KB; kept findings would add well over 100 MB here


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to see worker processes")
def test_ctrl_c_under_jobs_exits_130_with_one_line_and_no_worker_left(tmp_path):
    root = tree(tmp_path / "repo", 3000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlint", "check", str(root), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        workers |= _children(proc.pid)
        time.sleep(0.05)
    assert workers, "no worker process started"
    proc.stdout.read(1)  # linting has begun
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.INTERRUPTED
    assert b"Traceback" not in err and b"interrupted" in err
    time.sleep(0.5)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
    assert alive == []


@pytest.mark.parametrize("options", [["--jobs", "2"], ["--format", "json"]])
def test_no_worker_outlives_the_run(tmp_path, options):
    """The check exits without the interpreter's teardown (main.py): its workers must have ended by then, not
    wait for work forever. 40 files: the default starts workers too."""
    root = tree(tmp_path / "repo", 40)
    assert dlint("check", str(root), *options, cwd=tmp_path).returncode in (exitcodes.FINDINGS, exitcodes.USAGE)
    time.sleep(0.5)
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if str(root).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                left.append(pid)
        except OSError:  # it ended while being looked at
            continue
    assert left == []
