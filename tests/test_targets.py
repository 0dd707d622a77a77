"""`targets` / `--target` names that are no stage of a file are reported, never silently ignored."""

from __future__ import annotations

import json

from test_cli_check import dlint

STAGES = (
    "FROM fedora:40 AS tools\nRUN dnf install -y make-4 && dnf clean all\n"
    "FROM fedora:40 AS app\nRUN dnf install -y nginx-1\n"
    "FROM fedora:40 AS test\nRUN dnf install -y pytest-8\n"
)  # every stage is unused: each ships by default; DL3040 (no `dnf clean all`) on lines 4 and 6


def dl3040_lines(proc) -> list[int]:
    return sorted(d["line"] for d in json.loads(proc.stdout) if d["code"] == "DL3040")


def test_a_target_name_that_is_no_stage_is_one_line_naming_the_stages(tmp_path):
    (tmp_path / "Dockerfile").write_text(STAGES)
    proc = dlint("check", "--format", "json", "--target", "ap", "--target", "App", "Dockerfile", cwd=tmp_path)
    assert proc.stderr.decode().splitlines()[0] == (
        'dlint: warning: Dockerfile: target stage "ap" could not be found (stages: tools, app, test)'
    )
    assert dl3040_lines(proc) == [4]  # the name that matches still decides: only app ships
    assert proc.returncode == 1  # the findings decide the exit code, as without the typo


def test_when_no_target_is_a_stage_of_the_file_the_default_applies(tmp_path):
    (tmp_path / "Dockerfile").write_text(STAGES)
    (tmp_path / ".dlint.toml").write_text('targets = ["web", "ci"]\n')  # meant for another Dockerfile
    proc = dlint("check", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert proc.stderr.decode().splitlines()[:2] == [
        f'dlint: warning: Dockerfile: target stage "{name}" could not be found (stages: tools, app, test); '
        "none is, so every stage no later stage uses ships"
        for name in ("web", "ci")
    ]
    assert dl3040_lines(proc) == [4, 6]  # not "nothing ships", which would hide every clean-up finding


def test_targets_that_are_stages_say_nothing(tmp_path):
    (tmp_path / "Dockerfile").write_text(STAGES)
    (tmp_path / "Dockerfile").write_text(STAGES + "FROM scratch\n")
    proc = dlint("check", "--format", "json", "--target", "3", "--target", "TEST", "Dockerfile", cwd=tmp_path)
    assert b"could not be found" not in proc.stderr  # an unnamed stage goes by its index, names by any case
    assert dl3040_lines(proc) == [6]


def test_a_target_name_with_control_characters_reaches_the_terminal_escaped(tmp_path):
    (tmp_path / "Dockerfile").write_text(STAGES)
    proc = dlint("check", "--target", "x\x1b[31m", "Dockerfile", cwd=tmp_path)
    assert b"\x1b" not in proc.stderr and b'target stage "x\\x1b[31m"' in proc.stderr
