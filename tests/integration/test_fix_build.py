"""`dlint check --fix` proven by building: each fixture before and after the fix, compared file by file.

A safe fix promises the build installs exactly the same packages and files, minus what the rule
removes; `--unsafe-fixes` promises the same for these fixtures (their packages have no recommends,
their repeats one candidate version). So both builds must succeed and the final images' file lists
(path, type, mode, size, link target) must be equal, apart from what a fix is meant to remove.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "fix" / "apt-split"
EQUIVALENCE = REPO / "fixtures" / "equivalence"
REPOSITORY = "dlint-equivalence"  # every image these tests tag; only these are removed afterwards
LABELS = {"dlint.test": "fix-build"}
TARGETS = {"issue-shipped-stages": ("ci-image", "production-image")}  # both stages ship: build each
# What fixes are meant to remove: apt's package lists (DL3009, DLT001 moving the update into a RUN
# that removes them) and pip's cache (DL3042). Only in the image before the fix may files sit here.
REMOVED = ("var/lib/apt/lists/", "root/.cache/pip/")
# apt's history log records each command line, so a fixed command (`apt` -> `apt-get`, `-y`
# added, a repeat dropped) logs other bytes: the same file, another size.
LOGS = ("var/log/apt/history.log",)

Entry = tuple[str, int, int, str]  # type, mode, size, link target


def build(client, context: Path, tag: str, target: str | None = None):
    """The classic builder, as `dlint analyse` uses it; the image tagged so cleanup finds it."""
    image, _logs = client.images.build(path=str(context), tag=tag, target=target, labels=LABELS, rm=True,
                                       forcerm=True, pull=False)
    return image


def remove_tagged(client, tags: list[str]) -> None:
    """Only the images these tests tagged (their untagged build layers go with them): other
    tests share the engine."""
    from docker.errors import APIError

    for tag in tags:
        try:
            client.images.remove(tag, force=True)
        except APIError:
            pass  # never built (the build failed)


def fix(dockerfile: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--fix", "--unsafe-fixes", str(dockerfile)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_fix_shrinks_the_image_by_at_least_the_package_lists(engine, tmp_path):
    context = tmp_path / "apt-split"
    shutil.copytree(FIXTURE, context)
    dockerfile = context / "Dockerfile"
    tags = [f"{REPOSITORY}/apt-split:before", f"{REPOSITORY}/apt-split:after"]
    try:
        before = build(engine, context, tags[0])
        lists = list_bytes(engine, before.id)
        assert lists > 10_000_000  # tens of MB of package lists on a Debian base

        proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--fix", str(dockerfile)],
                              capture_output=True, text=True, timeout=120, check=False)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "fixed 2 findings" in proc.stderr  # DLT001, then DL3009 on the merged RUN
        runs = [line for line in dockerfile.read_text().splitlines() if line.startswith("RUN")]
        assert runs == [
            "RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*"
        ]

        after = build(engine, context, tags[1])
        assert list_bytes(engine, after.id) == 0
        assert before.attrs["Size"] - after.attrs["Size"] >= lists
    finally:
        remove_tagged(engine, tags)


# --- build equivalence ------------------------------------------------------------------------


class _Chunks(io.RawIOBase):
    """A file over the chunks `container.export()` yields: the tar is read as it streams."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.rest:
            self.rest = next(self.chunks, b"")
            if not self.rest:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n], self.rest = self.rest[:n], self.rest[n:]
        return n


def file_list(client, image_id: str) -> dict[str, Entry]:
    """Every path of the image's file system with its type, mode, size and link target."""
    container = client.containers.create(image_id, command=["true"], labels=LABELS)
    try:
        out: dict[str, Entry] = {}
        with tarfile.open(fileobj=io.BufferedReader(_Chunks(iter(container.export()))), mode="r|") as tar:
            for member in tar:
                out[member.name.rstrip("/")] = (member.type.decode(), member.mode, member.size, member.linkname)
        return out
    finally:
        container.remove(force=True)


def list_bytes(client, image_id: str) -> int:
    """Bytes of the regular files under /var/lib/apt/lists in the image, read from its exported file system."""
    return sum(size for path, (kind, _mode, size, _link) in file_list(client, image_id).items()
               if path.startswith("var/lib/apt/lists/") and kind == tarfile.REGTYPE.decode())


def differences(before: dict[str, Entry], after: dict[str, Entry]) -> tuple[list[str], int]:
    """What differs beyond what the fixes are meant to remove (see REMOVED and LOGS), and the
    bytes of package lists the fix removed."""
    out, removed = [], 0
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if new is None and (path + "/").startswith(REMOVED):
            removed += old[2] if old else 0
            continue
        if old and new and old[:2] == new[:2] and old[3] == new[3] and path.startswith(LOGS):
            continue
        out.append(f"{path}: {old} -> {new}")
    return out, removed


def prove(name: str, tmp: Path) -> tuple[str, list[str], int, str]:
    """Build one fixture, fix it, build it again: (name, differences, package-list bytes removed,
    the fix's report)."""
    import docker

    client = docker.from_env(timeout=600)
    context = tmp / name
    shutil.copytree(EQUIVALENCE / name, context)
    dockerfile = context / "Dockerfile"
    original = dockerfile.read_text()
    found: list[str] = []
    removed = 0
    lists: dict[str | None, dict[str, Entry]] = {}
    targets = TARGETS.get(name, (None,))
    try:
        for target in targets:
            lists[target] = file_list(client, build(client, context, _tag(name, "before", target), target).id)
        report = fix(dockerfile)
        assert dockerfile.read_text() != original, f"{name}: the fix changed nothing, so the fixture proves nothing"
        for target in targets:
            after = file_list(client, build(client, context, _tag(name, "after", target), target).id)
            unexpected, lists_removed = differences(lists[target], after)
            found += [f"{target or 'final'}: {d}" for d in unexpected]
            removed += lists_removed
        return name, found, removed, report.stderr
    finally:
        client.close()


def _tag(name: str, when: str, target: str | None) -> str:
    return f"{REPOSITORY}/{name}:{when}" + (f"-{target}" if target else "")


def test_fixed_files_build_the_same_images(engine, tmp_path):
    """Every fix kind dlint has, and the issue 11 shapes where no fix must happen, built before and
    after `--fix --unsafe-fixes`: both builds succeed and the images hold the same files."""
    names = sorted(p.name for p in EQUIVALENCE.iterdir() if (p / "Dockerfile").is_file())
    assert len(names) >= 20
    tags = [_tag(n, when, t) for n in names for when in ("before", "after") for t in TARGETS.get(n, (None,))]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:  # three builds at once keep the 2 cores busy
            results = list(pool.map(lambda n: prove(n, tmp_path), names))
    finally:
        remove_tagged(engine, tags)
    failures = {name: found for name, found, _removed, _report in results if found}
    assert failures == {}
    assert {name for name, _found, _removed, report in results if "fixed" in report} == set(names)
    # The comparison sees what DL3009 takes out of the final image: the package lists.
    removed = {name for name, _found, size, _report in results if size > 5_000_000}
    assert removed == {"dl3009-continuation", "dl3009-removal", "dl3009-set-e", "issue-shipped-stages",
                       "issue-variable-list"}
