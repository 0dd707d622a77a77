"""What the suite needs from the machine: skipped when missing, unless scripts/test set it up.

scripts/test installs shellcheck and chromium and starts a Docker Engine, then
sets DLINT_REQUIRE_TOOLS=1: from there on a missing tool is a failure, since a
skipped test would pass without testing anything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NoReturn

import pytest

_ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (/work/main), or beside the directory of worktrees (/work/wt/NAME).
SHARED = next((d / "shared" for d in _ROOT.parents[:2] if (d / "shared").is_dir()), _ROOT.parent / "shared")
CORPUS = Path(os.environ.get("DLINT_CORPUS") or SHARED / "corpus")  # DLINT_CORPUS: elsewhere
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("DLINT_REQUIRE_TOOLS") == "1":
        pytest.fail(f"DLINT_REQUIRE_TOOLS=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)  # also where a module needs it at import


def sarif_errors(doc: object) -> list:
    """What the official SARIF 2.1.0 schema finds wrong with `doc`, sorted; the test is skipped, saying why,
    when ../shared is absent (the brief's rule for what needs it)."""
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"../shared/schemas not found: {SARIF_SCHEMA} is absent")
    from jsonschema import Draft7Validator

    return sorted(Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).iter_errors(doc), key=str)


def needed_module(name: str, why: str):
    """The module `name` of the `[test]` extra, imported; a missing one is unavailable(), never a silent skip."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        unavailable(f"the test dependency {name!r} is not installed ({why}): pip install -e '.[test]'")
