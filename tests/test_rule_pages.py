"""Every rule page is documentation and a test: its Bad examples must fire, its Good ones must not."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from dlint.lint.engine import Selection, lint
from dlint.lint.registry import all_rules, index_from_pages, rules_dir
from dlint.lint.runner import INTERNAL_ERROR
from dlint.parsing.dockerfile import parse

RULES = all_rules()
# Rules `dlint analyse` reports from the engine (the base image's platform): no Dockerfile alone is an example.
ANALYSE_ONLY = {"DLB015"}


def example_options(code: str) -> dict:
    """The settings shown in a page's `## Options` ```toml block: the examples run with them."""
    blocks = re.findall(r"^```toml\n(.*?)^```", RULES[code].section("Options"), flags=re.DOTALL | re.MULTILINE)
    settings = tomllib.loads("\n".join(blocks)) if blocks else {}
    return settings.get("tool", {}).get("dlint", {}).get("rules", {})


def context_ignore(code: str) -> str | None:
    """The ```dockerignore block of a page's `## Context` section: the examples' build context has it."""
    blocks = re.findall(r"^```dockerignore\n(.*?)^```", RULES[code].section("Context"), flags=re.DOTALL | re.MULTILINE)
    return "".join(blocks) if blocks else None


def codes_for(text: str, code: str, context: Path) -> list[str]:
    selection = Selection(frozenset({code}), options=example_options(code))
    ignore = context_ignore(code)
    if ignore is not None:
        (context / ".dockerignore").write_text(ignore, encoding="utf-8")
    findings, crashes = lint(parse(text, str(context / "Dockerfile")), selection)
    assert not crashes
    return [f.code for f in findings]


def test_index_matches_the_pages():
    """A page added or edited without regenerating the index would be invisible or stale to `dlint check`."""
    index = json.loads(Path(rules_dir(), "index.json").read_text(encoding="utf-8"))
    assert index == index_from_pages(rules_dir()), "rules/index.json is stale: run `python -m dlint.lint.registry`"


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_has_metadata_and_examples(code):
    r = RULES[code]
    assert r.page.stem == code
    assert r.name and r.name == r.name.lower() and " " not in r.name
    assert r.summary
    if code == INTERNAL_ERROR:  # a dlint bug, reported by the runner: no Dockerfile is an example of it
        assert r.check is None and not r.examples("Bad")
        return
    if code in ANALYSE_ONLY:  # its page's examples are ```text: they need an image, not only the file
        assert r.check is None and not r.examples("Bad") and r.section("Bad")
        return
    assert r.examples("Bad"), f"{code} has no Bad example"
    assert r.check is not None or code == "DL1000", f"{code} has a page but no check"


@pytest.mark.parametrize(
    "code,text",
    [(c, t) for c, r in sorted(RULES.items()) for t in r.examples("Bad")],
)
def test_bad_example_is_reported(code, text, tmp_path):
    assert code in codes_for(text, code, tmp_path)


@pytest.mark.parametrize(
    "code,text",
    [(c, t) for c, r in sorted(RULES.items()) for t in r.examples("Good")],
)
def test_good_example_is_clean(code, text, tmp_path):
    assert code not in codes_for(text, code, tmp_path)


@pytest.mark.parametrize("code", sorted(c for c, r in RULES.items() if r.options))
def test_options_are_documented_with_an_example(code):
    assert set(example_options(code).get(code, {})) == set(RULES[code].options)


def test_names_are_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))
