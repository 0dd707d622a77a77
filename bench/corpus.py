"""The real-world corpus the bench scripts share."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DLINT_CORPUS") or ROOT.parent / "shared" / "corpus")  # DLINT_CORPUS: elsewhere


def corpus_files(real: Path) -> list[str]:
    """Every file under `real`, sorted. os.walk, not glob: 11 corpus names start with '.'."""
    return sorted(str(Path(d) / f) for d, _, fs in os.walk(real) for f in fs)
