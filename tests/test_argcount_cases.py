"""dlint's DL1000 verdict on each Dockerfile of argcount_cases.py, whose table says what a real BuildKit build did
(tests/integration/test_argcounts_buildkit.py builds some of them again)."""

from __future__ import annotations

import pytest
from argcount_cases import CASES, dockerfile

from dlint.parsing.dockerfile import parse


@pytest.mark.parametrize(("name", "text", "dlint", "buildkit"), CASES, ids=[case[0] for case in CASES])
def test_dlint_verdict(name, text, dlint, buildkit):
    assert [e.message for e in parse(dockerfile(text)).errors] == ([dlint] if dlint else [])


def test_dlint_reports_only_what_buildkit_refused():
    false = [name for name, _, dlint, buildkit in CASES if dlint and not buildkit]
    assert false == []
    # the misses are all dispatch-time errors, which depend on the stage being built
    missed = [name for name, _, dlint, buildkit in CASES if buildkit and not dlint]
    assert missed == ["stopsignal2", "volume_quoted_empty", "volume_single_quoted_empty", "volume_empty_var"]


def test_an_empty_volume_in_json_after_a_bad_flag_is_the_flag_error():
    # BuildKit's parseVolume reads its flags before it looks for empty strings (the count comes first)
    assert [e.message for e in parse(dockerfile('VOLUME --bogus [""]\n')).errors] == ["unknown flag: --bogus"]
