"""`dlint analyse --cache-probe PATH`: what one edit of PATH costs, measured by rebuilding a copy."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from analyse_support import REPO, by_line, dlint, engine_state

from dlint.analyse.cacheprobe import ProbeTarget, suggestion
from dlint.analyse.steps import step_for
from dlint.parsing.dockerfile import parse

FIXTURE = REPO / "fixtures" / "cacheprobe"


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


@pytest.fixture(scope="module")
def broad(engine):
    """The broad `COPY . /app` before the install, probed with a source file, the manifest, an ignored file."""
    files, before = snapshot(FIXTURE), engine_state(engine)
    run = dlint("analyse", str(FIXTURE / "Dockerfile.broad"), "--format", "json", "--rm",
                "--cache-probe", "app.py", "--cache-probe", "requirements.txt", "--cache-probe", "notes.md")
    assert run.returncode == 0, run.stderr
    assert engine_state(engine) == before, "the probe rebuilds left images or containers behind"
    assert snapshot(FIXTURE) == files, "the probe changed the user's files"
    return run.data


@pytest.mark.engine
def test_a_source_edit_behind_a_broad_copy_rebuilds_the_install(broad):
    app = next(p for p in broad["cache_probe"] if p["path"] == "app.py")
    steps = by_line(broad)
    assert (app["first_miss_step"], app["first_miss_line"], app["first_miss_instruction"]) == (4, 7, "COPY . /app")
    assert app["rebuilt_steps"] == 3  # COPY, the install, CMD
    assert app["rebuilt_bytes"] == sum(steps[line]["size"] for line in (7, 8, 9)) + 1  # the appended byte
    assert app["rebuilt_seconds"] > 0 and app["error"] is None  # how fast is bench/'s business, not a test's
    assert app["suggestion"].startswith("add `COPY requirements.txt /app/` above `COPY . /app` (line 7)")


@pytest.mark.engine
def test_editing_the_manifest_itself_gets_no_suggestion_and_ignored_files_miss_nothing(broad):
    probes = {p["path"]: p for p in broad["cache_probe"]}
    assert probes["requirements.txt"]["first_miss_line"] == 7 and probes["requirements.txt"]["suggestion"] is None
    assert probes["notes.md"] == {
        "path": "notes.md", "first_miss_step": None, "first_miss_line": None, "first_miss_instruction": None,
        "rebuilt_steps": 0, "rebuilt_seconds": 0, "rebuilt_bytes": 0, "suggestion": None, "error": None,
    }


@pytest.mark.engine
def test_the_fake_pip_cache_is_measured_on_its_step(broad):
    install = by_line(broad)[8]
    assert install["probes"] == {"/root/.cache/pip": len((FIXTURE / "requirements.txt").read_bytes())}
    dl3042 = [(f["line"], f["measured_bytes"]) for f in broad["findings"] if f["code"] == "DL3042"]
    assert dl3042 == [(8, install["probes"]["/root/.cache/pip"])]
    assert broad["image"]["probes"]["/root/.cache/pip"] == install["probes"]["/root/.cache/pip"]


@pytest.mark.engine
def test_manifest_first_keeps_the_install_a_hit_and_the_probe_images_go(engine, kept_images):
    before = engine_state(engine)
    run = dlint("analyse", str(FIXTURE / "Dockerfile.fixed"), "--format", "json",
                "--cache-probe", "app.py", "--cache-probe", "requirements.txt")
    assert run.returncode == 0, run.stderr
    kept_images.add(run.data)
    probes = {p["path"]: p for p in run.data["cache_probe"]}
    app = probes["app.py"]
    assert (app["first_miss_line"], app["first_miss_instruction"], app["rebuilt_steps"]) == (9, "COPY . /app", 2)
    assert app["suggestion"] is None
    assert (probes["requirements.txt"]["first_miss_line"], probes["requirements.txt"]["rebuilt_steps"]) == (7, 4)
    # The analysed image and its steps stay, not what the probe rebuilds made.
    after = engine_state(engine)
    assert after[0] == before[0]
    assert after[1] - before[1] <= set(kept_images.ids)


def test_a_probe_path_outside_the_context_fails_before_building(tmp_path):
    run = dlint("analyse", str(FIXTURE / "Dockerfile.broad"), "--cache-probe", "missing.txt")
    assert run.returncode == 2
    assert run.stderr == f"dlint: --cache-probe missing.txt: no such file or directory in the build context {FIXTURE}\n"
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "link").symlink_to(FIXTURE / "app.py")
    run = dlint("analyse", str(tmp_path / "Dockerfile"), "--cache-probe", "link")
    assert (run.returncode, run.stderr) == (2, "dlint: --cache-probe link: link is a symbolic link\n")


def test_suggestions_name_the_manifest_or_move_a_system_install(tmp_path):
    df = parse("FROM base\nWORKDIR /src\nCOPY . .\nRUN apt-get install -y curl\nRUN npm ci\n")
    copy, apt, npm = (step_for(df, i) for i in df.instructions[2:])
    index_js = ProbeTarget("index.js", PurePosixPath("index.js"))
    assert suggestion(df, index_js, [copy, apt, npm], tmp_path) == (
        "move `RUN apt-get install -y curl` (line 4) above `COPY . .` (line 3): it reads nothing from the context"
    )
    (tmp_path / "package.json").write_text("{}")  # no lock file in this context: only the manifest is named
    assert suggestion(df, index_js, [copy, npm], tmp_path) == (
        "add `COPY package.json ./` above `COPY . .` (line 3) and move `RUN npm ci` (line 5) up between them, "
        "so that it stays cached when index.js changes"
    )
    package_json = ProbeTarget("package.json", PurePosixPath("package.json"))
    assert suggestion(df, package_json, [copy, npm], tmp_path) is None  # the install reads the edited file
    assert suggestion(df, index_js, [npm], tmp_path) is None  # the first miss is not a broad COPY
