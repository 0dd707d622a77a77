"""`--archive` and `--image` tie an image built elsewhere to its Dockerfile lines as a build's own analysis does.

One small fixture, built by Docker classic, Docker BuildKit and Podman; its
docker-archive, OCI directory and OCI tar (tests/oci_layout.py), the image in
the engine, and Podman's docker-archive and oci-archive must give the per-line
sizes, cache-directory bytes and waste the build analysis gives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from analyse_support import FIXTURES, KeptImages, dlint

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import unavailable  # tests/ holds the shared helpers
from oci_layout import to_oci_dir, to_oci_tar

pytestmark = pytest.mark.engine

FIXTURE = FIXTURES / "prebuilt"
DOCKERFILE = str(FIXTURE / "Dockerfile")
PREFIX = "dlint-prebuilt-test"  # every image these tests make is named so, and removed


def per_line(data: dict) -> dict[int, tuple]:
    """What must agree: each shipped line's layer bytes and cache-directory bytes."""
    return {s["line"]: (s["size"], s["probes"]) for s in data["steps"] if s["line"]}


def same_sizes(got: dict[int, tuple], expected: dict[int, tuple]) -> bool:
    """The layer bytes of every line both tables list (a symbolic link counts its target's length in both)."""
    common = set(got) & set(expected)
    return len(common) >= 6 and all(got[line][0] == expected[line][0] for line in common)


def waste_of(data: dict) -> set[tuple]:
    return {(w["path"], w["bytes"], w["kind"], w["added_line"], w["removed_line"]) for w in data["waste"]}


def sources(tag: str, archive: Path, work: Path) -> list[tuple[str, ...]]:
    ocidir = to_oci_dir(archive, work / "oci", tag)
    return [("--archive", str(archive)), ("--archive", str(ocidir)),
            ("--archive", str(to_oci_tar(ocidir, work / "oci.tar"))), ("--image", tag)]


@pytest.fixture(scope="module")
def builds(engine, tmp_path_factory):
    """The fixture built by dlint with each Docker builder, tagged; the images removed afterwards."""
    kept = KeptImages(engine)
    tags, results = [], {}
    try:
        for builder in ("classic", "buildkit"):
            tag = f"{PREFIX}:{builder}-{uuid.uuid4().hex[:8]}"
            tags.append(tag)
            run = dlint("analyse", DOCKERFILE, "--builder", builder, "--tag", tag, "--format", "json")
            assert run.returncode == 0, run.stderr
            kept.add(run.data)
            archive = tmp_path_factory.mktemp(builder) / "docker.tar"
            with open(archive, "wb") as out:
                out.writelines(engine.api.get_image(tag))
            results[builder] = (tag, run.data, archive)
        yield results
    finally:
        for tag in tags:
            if engine.images.list(name=tag):
                engine.images.remove(tag)
        kept.remove()


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_every_input_of_a_docker_build_gives_the_builds_per_line_sizes_and_waste(builds, builder, tmp_path):
    tag, build, archive = builds[builder]
    expected = per_line(build)
    for source in sources(tag, archive, tmp_path):
        run = dlint("analyse", *source, DOCKERFILE, "--format", "json")
        assert run.returncode == 0, (source, run.stderr)
        assert run.stderr == "", source  # every layer tied to a line: nothing to report
        got = per_line(run.data)
        assert sorted(got) == list(range(2, 10)), source  # every line, the ARG and ENV BuildKit's table leaves out
        assert same_sizes(got, expected), source
        assert got[6][1] == {"/tmp": 100000}, source
        # One measurement path: whichever builder ran, the build's cache bytes are those its layers hold.
        assert {line: probes for line, (_, probes) in got.items() if line in expected} == {
            line: probes for line, (_, probes) in expected.items()}, source
        assert waste_of(run.data) == waste_of(build) == {("/srv/big", 50000, "deleted", 6, 7)}, source
        assert run.data["image"]["size"] == build["image"]["size"], source
        assert {s["cached"] for s in run.data["steps"]} == {None}  # no build ran: the cache state is unknown


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=300, check=check)


def test_podman_archives_give_the_docker_builds_per_line_sizes_and_waste(engine, builds, tmp_path):
    if shutil.which("podman") is None:
        unavailable("podman is not installed (Debian package podman)")
    base = "dlint-test/busybox:latest"
    loaded = podman("image", "exists", base, check=False).returncode != 0
    if loaded:
        with open(tmp_path / "base.tar", "wb") as out:
            out.writelines(engine.api.get_image(base))
        podman("load", "-i", str(tmp_path / "base.tar"))
    tag = f"{PREFIX}:podman-{uuid.uuid4().hex[:8]}"
    try:
        podman("build", "-q", "-t", tag, str(FIXTURE))
        podman("save", "--format", "oci-archive", "-o", str(tmp_path / "oci.tar"), tag)
        podman("save", "--format", "docker-archive", "-o", str(tmp_path / "docker.tar"), tag)
    finally:
        podman("rmi", "-f", tag, check=False)
        if loaded:
            podman("rmi", base, check=False)
    _, build, _ = builds["classic"]
    for archive in ("oci.tar", "docker.tar"):
        run = dlint("analyse", "--archive", str(tmp_path / archive), DOCKERFILE, "--format", "json")
        assert (run.returncode, run.stderr) == (0, ""), archive
        got = per_line(run.data)
        # Podman writes no layer for WORKDIR; Docker's holds only the directory: 0 bytes either way.
        assert same_sizes(got, per_line(build)), archive
        assert waste_of(run.data) == {("/srv/big", 50000, "deleted", 6, 7)}


def test_image_without_a_dockerfile_lists_its_layers_and_a_missing_image_is_one_line(builds):
    tag, build, _ = builds["buildkit"]
    run = dlint("analyse", "--image", tag)
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()
    assert rows[0].split() == ["LAYER", "SIZE", "CACHE", "DIRS", "COMMAND"]
    assert len(rows) - 2 >= build["image"]["layers"] and rows[build["image"]["layers"]].rstrip().endswith(
        'RUN |1 A=1 /bin/sh -c echo hi > /srv/exec.txt # buildkit')
    missing = dlint("analyse", "--image", f"{PREFIX}:absent", DOCKERFILE)
    assert (missing.returncode, missing.stdout, missing.stderr) == (2, "", f"dlint: the engine has no image {PREFIX}:absent\n")
