"""The README stays true: its rules table, its map of the code, and the test command CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rules_table_is_what_dlint_rules_prints():
    table = README.split("<!-- rules-table:start -->\n")[1].split("<!-- rules-table:end -->")[0]
    printed = subprocess.run(
        [sys.executable, "-m", "dlint", "rules", "--format", "markdown"], capture_output=True, text=True, check=True
    ).stdout
    assert table.strip() == printed.strip(), "regenerate with `dlint rules --format markdown`"


def test_every_module_is_on_the_map():
    mapped = set(re.findall(r"`(dlint/[\w/]+\.py)`", README))
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "dlint").rglob("*.py")
        if p.name != "__init__.py" or p.read_text().strip()  # empty package markers need no line
    }
    assert modules - mapped == set(), "add these modules to the README's map of the code"
    assert mapped - modules == set(), "the README's map names modules that do not exist"


def test_ci_runs_the_readme_test_command():
    assert "\nscripts/test\n" in README
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()
