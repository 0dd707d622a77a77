"""`--fix` over the 701 real-world Dockerfiles, on a copy: BuildKit's own parser must read each
fixed file as the fix meant it, and a second run must change nothing."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from machine import needed_module

from dlint.lint.config import Flags
from dlint.lint.fix import FixMode
from dlint.lint.runner import check_paths
from dlint.parsing.dockerfile import parse

dockerfile = needed_module("dockerfile", "BuildKit's parser")


def buildkit_keywords(text: str) -> list[str] | None:
    try:
        return [c.cmd.upper() for c in dockerfile.parse_string(text)]
    except dockerfile.GoParseError:
        return None


def only_meant_changes(before: list[str], after: list[str]) -> bool:
    """Fixes delete RUNs (a moved update or removal) and rewrite keywords in place (ADD -> COPY, some of a
    file's ADDs and not others: compared as one keyword, so that the alignment cannot pair them crosswise)."""
    before, after = ([("COPY" if k == "ADD" else k) for k in keywords] for keywords in (before, after))
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        dropped = (i2 - i1) - (j2 - j1)
        if op != "equal" and (dropped < 0 or before[i1:i2].count("RUN") < dropped):
            return False
    return True


@pytest.fixture
def copies(corpus: Path, tmp_path: Path) -> list[str]:
    paths: list[str] = []
    for d, _, files in os.walk(corpus / "real"):
        for name in files:
            src = Path(d) / name
            dst = tmp_path / src.relative_to(corpus / "real")
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            paths.append(str(dst))
    assert len(paths) == 701
    return sorted(paths)


@pytest.mark.parametrize("unsafe", [False, True], ids=["fix", "unsafe-fixes"])
def test_fixed_corpus_reads_in_buildkit_as_meant_and_is_stable(copies, unsafe):
    flags = Flags(isolated=True)
    results = check_paths(copies, flags, FixMode(write=True, unsafe=unsafe))
    assert not [r.fix.error for r in results if r.fix and r.fix.error]
    assert not [(r.path, c) for r in results for c in r.crashes]
    changed = [r for r in results if r.fix and r.fix.written]
    assert len(changed) > 200  # the corpus has hundreds of fixable findings
    for r in changed:
        before, after = r.fix.original, Path(r.path).read_text(encoding="utf-8-sig")
        assert after == r.fix.text
        theirs_before, theirs_after = buildkit_keywords(before), buildkit_keywords(after)
        if theirs_before is None:
            continue  # BuildKit rejects the original: nothing to compare against
        assert theirs_after is not None, f"{r.path}: BuildKit cannot parse the fixed file"
        ours = parse(after, r.path)
        assert len(ours.errors) <= len(parse(before).errors), r.path
        assert theirs_after == [i.keyword for i in ours.instructions], f"{r.path}: BuildKit reads it differently"
        assert only_meant_changes(theirs_before, theirs_after), f"{r.path}: {theirs_before} -> {theirs_after}"
    again = check_paths([r.path for r in changed], flags, FixMode(write=True, unsafe=unsafe))
    assert [r.path for r in again if r.fix and r.fix.changed] == []
