"""Cache-directory probes: bytes under /var/lib/apt/lists & co., read through the archive endpoint."""

from __future__ import annotations

import io
import tarfile

import pytest
from analyse_support import by_line, imported_image

from dlint.analyse.probes import APT_LISTS, measure

pytestmark = pytest.mark.engine

IMAGE = "dlint-test/probes:latest"


def test_the_split_update_step_carries_the_lists_and_the_findings_say_so(apt_split):
    data = apt_split.run.data  # the session's one apt build (tests/integration/conftest.py)
    steps = by_line(data)
    update, install = steps[3], steps[4]
    lists = update["probes"][APT_LISTS]
    assert 10_000_000 < lists <= update["size"]  # tens of MB, all inside that step's layer
    assert APT_LISTS not in install["probes"]  # the install reads them, it does not add any
    assert data["image"]["probes"][APT_LISTS] == lists  # never removed: the image ships them
    measured = {f["code"]: f["measured_bytes"] for f in data["findings"] if f["code"] in ("DL3009", "DLT001")}
    assert measured == {"DL3009": lists, "DLT001": lists}
    assert steps[2]["probes"] == {}  # FROM runs no package manager: not probed


def _image_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, size in (("tmp/a", 1000), ("tmp/sub/b", 500), ("root/.npm/_cacache/x", 7), ("etc/hostname", 9)):
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(b"x" * size))
        link = tarfile.TarInfo("tmp/a-again")
        link.type, link.linkname = tarfile.LNKTYPE, "tmp/a"
        tar.addfile(link)
    return buf.getvalue()


@pytest.fixture(scope="module")
def image(engine):
    with imported_image(engine, _image_tar(), IMAGE) as name:
        yield name


def test_measure_sums_regular_files_once_and_leaves_out_missing_paths(engine, image):
    containers = engine.api.containers(all=True)
    assert measure(engine, image) == {"/tmp": 1500, "/root/.npm": 7}  # the hard link is not counted twice
    # The engine's empty /etc/hostname placeholder stands in for the image's: not the image's bytes.
    assert measure(engine, image, ["/etc", "/var/lib/apt/lists"]) == {"/etc": 0}
    assert engine.api.containers(all=True) == containers
