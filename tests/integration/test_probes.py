"""Cache-directory probes: bytes under /var/lib/apt/lists & co., read from the layers of a real build."""

from __future__ import annotations

import pytest
from analyse_support import by_line

from dlint.analyse.contents import APT_LISTS

pytestmark = pytest.mark.engine


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
    assert steps[2]["probes"] == {}  # the FROM line: nothing of its own under the cache directories
