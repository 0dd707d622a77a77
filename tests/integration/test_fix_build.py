"""`dlint check --fix` proven by building: the split `apt-get update` fixture, before and after."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlint.analyse.probes import APT_LISTS, measure

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "fix" / "apt-split"


def build(client, context: Path):
    image, _logs = client.images.build(path=str(context), rm=True, forcerm=True, pull=False)
    return image


def remove_new_images(client, before: set[str]) -> None:
    from docker.errors import APIError

    new = [i for i in client.api.images(all=True) if i["Id"] not in before]
    for image in sorted(new, key=lambda i: i["Created"], reverse=True):
        try:
            client.api.remove_image(image["Id"])
        except APIError:
            pass  # pruned with its child already


def test_fix_shrinks_the_image_by_at_least_the_package_lists(engine, tmp_path):
    context = tmp_path / "apt-split"
    shutil.copytree(FIXTURE, context)
    dockerfile = context / "Dockerfile"
    existing = {i["Id"] for i in engine.api.images(all=True)}
    try:
        before = build(engine, context)
        lists = measure(engine, before.id, [APT_LISTS])[APT_LISTS]
        assert lists > 10_000_000  # tens of MB of package lists on a Debian base

        proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--fix", str(dockerfile)],
                              capture_output=True, text=True, timeout=120, check=False)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "fixed 2 findings" in proc.stderr  # DLT001, then DL3009 on the merged RUN
        runs = [line for line in dockerfile.read_text().splitlines() if line.startswith("RUN")]
        assert runs == [
            "RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*"
        ]

        after = build(engine, context)
        assert measure(engine, after.id, [APT_LISTS]).get(APT_LISTS, 0) == 0
        assert before.attrs["Size"] - after.attrs["Size"] >= lists
    finally:
        remove_new_images(engine, existing)
