"""Property: any mutation of a real Dockerfile parses and lints without an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutations import mutate

from dlint.lint.engine import Selection, lint
from dlint.lint.registry import all_rules
from dlint.model import Dockerfile
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import SourceError, decode_source

EVERY_RULE = Selection(frozenset(all_rules()))


def assert_sane(df: Dockerfile) -> None:
    text, n = df.text, len(df.text)
    last_line = 0
    for ins in df.instructions:
        assert 0 <= ins.start_offset <= ins.end_offset <= n
        assert last_line < ins.start_line <= ins.end_line
        last_line = ins.end_line
        for i, ch in enumerate(ins.args.value):
            assert text[ins.args.source_offset(i)] == ch
        for flag in ins.flags:
            assert ins.start_offset <= flag.start_offset <= flag.end_offset <= ins.end_offset
        for doc in ins.heredocs:
            assert ins.start_offset <= doc.body_offset <= doc.terminator_offset <= ins.end_offset
            assert ins.start_line < doc.start_line <= doc.end_line <= ins.end_line
    for err in df.errors:
        assert 1 <= err.line <= max(len(df.line_starts), 1) and err.column >= 1
    for stage in df.stages:
        assert stage.parent is None or stage.parent < stage.index


def as_text(data: bytes) -> str:
    try:
        return decode_source(data, "fuzz")
    except SourceError as e:
        assert "\n" not in str(e)
        return data.decode("utf-8", "replace")  # the parser must cope with any text, NUL included


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.randoms(use_true_random=False))
def test_mutated_files_parse_with_sane_positions(rng):
    assert_sane(parse(as_text(mutate(rng)), "fuzz"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_every_rule_finishes_on_mutated_files(rng):
    findings, crashes = lint(parse(as_text(mutate(rng)), "fuzz"), EVERY_RULE)
    assert crashes == []
    for f in findings:
        assert 1 <= f.line <= f.end_line and f.column >= 1
