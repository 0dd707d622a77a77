"""`ONBUILD RUN` triggers: RUN rules check them, findings and fixes land on the ONBUILD line."""

from __future__ import annotations

from dlint.lint.context import Context
from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Finding
from dlint.lint.fix import fix_text
from dlint.parsing.dockerfile import parse


def findings(text: str, *codes: str) -> list[Finding]:
    found, crashes = lint(parse(text, "Dockerfile"), Selection(frozenset(codes)))
    assert not crashes, crashes
    return found


def test_runs_include_triggers_in_file_order_at_their_onbuilds_place():
    df = parse("FROM a\nRUN one\nONBUILD RUN two\nONBUILD COPY . /x\nRUN three\n")
    ctx = Context(df)
    runs = ctx.runs()
    assert [r.args.value for r in runs] == ["one", "two", "three"]
    trigger = df.instructions[2].trigger
    assert runs[1] is trigger and (trigger.index, trigger.stage) == (2, 0)
    assert [ctx.is_trigger(r) for r in runs] == [False, True, False]
    assert not ctx.is_trigger(df.instructions[2])


def test_package_and_shell_rules_see_the_trigger():
    text = (
        "FROM python:3.12\n"
        "ONBUILD RUN if [ -s requirements.txt ]; then pip install -r requirements.txt; fi\n"
        "ONBUILD RUN cd /src && sudo make\n"
    )
    found = findings(text, "DL3042", "DL3003", "DL3004")
    assert [(f.code, f.line, f.column, f.instruction_line) for f in found] == [
        ("DL3042", 2, 46, 2), ("DL3003", 3, 13, 3), ("DL3004", 3, 24, 3),
    ]


def test_a_trigger_runs_in_an_image_that_ships_even_from_a_builder_stage():
    text = "FROM python:3.12 AS base\nONBUILD RUN pip install flask==3.0.0\nFROM debian:12\nRUN true\n"
    assert [f.code for f in findings(text, "DL3042")] == ["DL3042"]


def test_pragma_above_the_onbuild_silences_its_trigger():
    text = "FROM python:3.12\n# hadolint ignore=DL3042\nONBUILD RUN pip install flask==3.0.0\n"
    assert [(f.code, f.suppressed is not None) for f in findings(text, "DL3042")] == [("DL3042", True)]


def test_later_runs_of_this_build_are_not_a_triggers_later_runs():
    """The trigger runs in another build, after all of this one: the update cannot move into
    the next RUN here, and a removal in a later RUN here does not clean its layer."""
    text = (
        "FROM debian:12\n"
        "ONBUILD RUN apt-get update\n"
        "RUN apt-get install -y --no-install-recommends curl=8 && rm -rf /var/lib/apt/lists/*\n"
    )
    found = findings(text, "DLT001", "DL3009")
    assert [(f.code, f.line) for f in found] == [("DL3009", 2), ("DLT001", 2)]
    dl3009, dlt001 = found
    assert dlt001.fix is None
    assert "later layer" not in dl3009.message


def test_fixes_inside_an_onbuild_keep_it_an_onbuild():
    text = (
        "FROM python:3.12\n"
        "ONBUILD RUN pip install flask==3.0.0\n"
        "ONBUILD RUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2\n"
    )
    result, left, _ = fix_text(text, "Dockerfile", Selection(frozenset({"DL3042", "DL3009"})))
    assert result.error is None
    assert result.text == (
        "FROM python:3.12\n"
        "ONBUILD RUN pip install --no-cache-dir flask==3.0.0\n"
        "ONBUILD RUN apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2"
        " && rm -rf /var/lib/apt/lists/*\n"
    )
    assert left == []
