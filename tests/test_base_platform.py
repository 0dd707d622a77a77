"""DLB015 (InvalidBaseImagePlatform) without an engine: platform comparison and which FROMs are checked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dlint.analyse.platform import engine_platform, findings, image_platform
from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Level
from dlint.parsing.dockerfile import parse
from dlint.parsing.platform import normalize, parse_platform

AMD64 = ("linux", "amd64", "")


@pytest.mark.parametrize("a,b", [
    ("linux/arm64", "linux/arm64/v8"),
    ("arm64", "linux/arm64"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/x86_64", "linux/amd64"),
])
def test_equal_platforms(a, b):
    assert parse_platform(a) == parse_platform(b)


@pytest.mark.parametrize("a,b", [
    ("linux/amd64", "linux/arm64"),
    ("linux/arm/v6", "linux/arm/v7"),
    ("windows/amd64", "linux/amd64"),
])
def test_different_platforms(a, b):
    assert parse_platform(a) != parse_platform(b)


def test_not_a_constant_platform():
    assert parse_platform("$BUILDPLATFORM") is None
    assert parse_platform("linux/$TARGETARCH") is None
    assert parse_platform("") is None


def test_inspect_and_version_data():
    assert image_platform({"Os": "linux", "Architecture": "arm64", "Variant": "v8"}) == normalize("linux", "arm64")
    assert image_platform({"Os": "", "Architecture": ""}) is None
    assert engine_platform({"Os": "linux", "Arch": "amd64"}) == AMD64


IMAGES = {
    "arm/base": {"Os": "linux", "Architecture": "arm64", "Variant": "v8"},
    "amd/base": {"Os": "linux", "Architecture": "amd64"},
}


def found(text: str, target=AMD64, selection=None) -> list[tuple[int, str]]:
    df = parse(text, "Dockerfile")
    return [(f.line, f.message) for f in findings(df, IMAGES.get, target, selection or Selection.default())]


def test_mismatch_is_reported_on_the_from_line():
    (hit,) = found("FROM amd/base AS a\nFROM arm/base\nCOPY x /x\n")
    assert hit == (2, "Base image arm/base was pulled with platform 'linux/arm64', expected 'linux/amd64' for current build")


def test_from_platform_constant_is_the_expected_platform():
    assert found("FROM --platform=linux/arm64 arm/base\n") == []
    assert [line for line, _ in found("FROM --platform=linux/arm64 amd/base\n")] == [1]


def test_silent_when_nothing_can_be_compared():
    assert found("FROM scratch\n") == []
    assert found("FROM missing/image\n") == []
    assert found("ARG B=arm/base\nFROM $B\n") == []
    assert found("FROM --platform=$BUILDPLATFORM arm/base\n") == []
    assert found("FROM arm/base\n", target=None) == []
    assert found("FROM amd/base AS a\nFROM a\n") == []


def test_check_skip_directive_silences_it():
    assert found("# check=skip=InvalidBaseImagePlatform\nFROM arm/base\n") == []


def test_dlint_check_never_reports_it():
    """The lint path has no check for it, even when it is selected."""
    df = parse("FROM arm/base\n", "Dockerfile")
    result, crashes = lint(df, Selection(frozenset({"DLB015"})))
    assert not crashes and result == []


@pytest.mark.parametrize("pragma", ["# hadolint ignore=DLB015", "# dlint ignore=InvalidBaseImagePlatform",
                                    "# dlint global ignore=DLB015"])
def test_a_pragma_silences_it_as_it_silences_every_rule(pragma):
    assert found(f"{pragma}\nFROM arm/base\n") == []
    assert found(f"{pragma}\nFROM arm/base\n", selection=replace(Selection.default(), inline_ignores=False)) != []


def test_the_files_selection_decides_whether_it_runs_and_at_what_level():
    df = parse("FROM arm/base\n", "Dockerfile")
    without = Selection(Selection.default().codes - {"DLB015"})
    assert findings(df, IMAGES.get, AMD64, without) == []
    (hit,) = findings(df, IMAGES.get, AMD64, replace(Selection.default(), levels={"DLB015": Level.ERROR}))
    assert hit.level == Level.ERROR
    assert findings(parse("# check=skip=InvalidBaseImagePlatform\nFROM arm/base\n", "D"), IMAGES.get, AMD64,
                    Selection.default()) == []


def test_one_word_is_an_os_or_a_known_architecture_as_containerd_reads_it():
    assert parse_platform("linux") == AMD64 and parse_platform("macos/arm64") == ("darwin", "arm64", "")
    assert parse_platform("arm64") == ("linux", "arm64", "") and parse_platform("nosucharch") is None
    assert found("FROM --platform=linux amd/base\n") == []  # was read as architecture "linux": a false finding
