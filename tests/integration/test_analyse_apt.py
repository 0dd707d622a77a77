"""The split `apt-get update` on the local debian:bookworm-slim: the lists' bytes land on that step."""

from __future__ import annotations

import pytest
from analyse_support import by_line

pytestmark = pytest.mark.engine


def test_split_apt_update_step_carries_the_package_lists(engine, apt_split):
    run = apt_split.run  # shared with test_probes.py: one apt build per session
    assert run.returncode == 0, run.stderr
    data = run.data
    steps = by_line(data)
    update, install = steps[3], steps[4]
    assert update["instruction"] == "RUN apt-get update" and not update["cached"]
    assert update["size"] > 10_000_000  # tens of MB of lists (about 20 MB for bookworm, compressed)
    assert install["size"] < update["size"] / 5  # `hello` itself is small: the lists are the weight
    assert steps[2]["size"] == engine.images.get("debian:bookworm-slim").attrs["Size"]
    assert sum(s["size"] for s in data["steps"]) == data["image"]["size"]
    lists_findings = {f["code"]: (f["line"], f["layer_bytes"]) for f in data["findings"]
                      if f["code"] in ("DL3009", "DLT001")}
    assert lists_findings == {"DL3009": (3, update["size"]), "DLT001": (3, update["size"])}
    assert apt_split.after == apt_split.before
