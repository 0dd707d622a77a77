"""What the suite needs from the machine: skipped when missing, unless scripts/test set it up.

scripts/test installs shellcheck and chromium and starts a Docker Engine, then
sets DLINT_REQUIRE_TOOLS=1: from there on a missing tool is a failure, since a
skipped test would pass without testing anything.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("DLINT_REQUIRE_TOOLS") == "1":
        pytest.fail(f"DLINT_REQUIRE_TOOLS=1 but {reason}", pytrace=False)
    pytest.skip(reason)
