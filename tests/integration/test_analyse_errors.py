"""`dlint analyse` refusing early: one line on stderr and exit 2, before (or without) any engine."""

from __future__ import annotations

from analyse_support import FIXTURES, dlint

COPY_ORDER = FIXTURES / "copy-order" / "Dockerfile"


def test_no_engine_is_one_line_and_exit_2():
    run = dlint("analyse", str(COPY_ORDER), env={"DOCKER_HOST": "unix:///nonexistent"})
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("dlint: cannot reach a Docker Engine at unix:///nonexistent: start one")
    assert "scripts/docker-test-env start" in lines[0]
    assert run.stdout == ""


def test_usage_errors_exit_2_without_building(tmp_path):
    cases = [
        (("analyse", str(tmp_path / "missing.Dockerfile")), "missing.Dockerfile"),
        (("analyse", str(COPY_ORDER), "--builder", "kaniko"), "unknown builder 'kaniko'"),
        (("analyse", str(COPY_ORDER), "--target", "nope"), "no stage named 'nope'"),
        (("analyse", str(COPY_ORDER), "--format", "yaml"), "unknown format 'yaml'"),
        (("analyse", str(COPY_ORDER), "--context", str(tmp_path / "nowhere")), "is not a directory"),
    ]
    for args, message in cases:
        # An unreachable engine proves these are refused before any connection is tried.
        run = dlint(*args, env={"DOCKER_HOST": "unix:///nonexistent"})
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr and "Traceback" not in run.stderr, (args, run.stderr)
        assert len(run.stderr.splitlines()) == 1, run.stderr


def test_analyze_spelling_is_accepted():
    run = dlint("analyze", str(COPY_ORDER), env={"DOCKER_HOST": "unix:///nonexistent"})
    assert run.returncode == 2 and "cannot reach a Docker Engine" in run.stderr
