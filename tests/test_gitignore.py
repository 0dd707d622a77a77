"""`dlint check DIR` skips what git ignores, and finds exactly what git itself lists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from machine import unavailable
from test_cli_check import dlint

FROM = "FROM debian:bookworm-slim\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "HOME": str(repo.parent / "home"), "XDG_CONFIG_HOME": str(repo.parent / "home" / ".config")}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    if shutil.which("git") is None:
        unavailable("git is not installed")
    root = tmp_path / "repo"
    files = [
        "Dockerfile",
        "build/Dockerfile",  # ignored by the root .gitignore (directory pattern)
        "services/api/Dockerfile",
        "services/api/Dockerfile.dev",
        "services/api/generated/Dockerfile",  # ignored by services/.gitignore (anchored to it)
        "services/web/Dockerfile.local",  # *.local ignored at the root...
        "services/web/keep/Dockerfile.local",  # ...re-included by services/web/.gitignore
        "docs/Dockerfile",  # .git/info/exclude
        "tmp.Dockerfile",  # the global excludes file
        "node_modules/pkg/Dockerfile",  # always skipped
        "vendor/x/Containerfile",
        "a b/weird [name].Dockerfile",
    ]
    for f in files:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text(FROM)
    (root / ".gitignore").write_text("build/\n*.local\n# a comment\n\\#hash\n")
    (root / "services" / ".gitignore").write_text("/api/generated/\n")
    (root / "services" / "web" / ".gitignore").write_text("!keep/Dockerfile.local\n")
    git(root.parent, "init", "-q", str(root))
    (root / ".git" / "info" / "exclude").write_text("docs/\n")
    home = tmp_path / "home" / ".config" / "git"
    home.mkdir(parents=True)
    (home / "ignore").write_text("tmp.*\n")
    return root


def listed_by_git(repo: Path) -> list[str]:
    from dlint.lint.discovery import is_dockerfile_name

    out = git(repo, "ls-files", "--others", "--cached", "--exclude-standard")
    return sorted(p for p in out.splitlines() if is_dockerfile_name(p.rsplit("/", 1)[-1]) and "node_modules/" not in p)


def found(repo: Path, *extra: str) -> list[str]:
    """The files dlint lints: DL3057 (no HEALTHCHECK) fires once on each."""
    p = subprocess.run(
        [sys.executable, "-m", "dlint", "check", "--format", "json", "--select", "DL3057", *extra, "."],
        cwd=repo,
        env={**os.environ, "HOME": str(repo.parent / "home"), "XDG_CONFIG_HOME": str(repo.parent / "home" / ".config")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in p.stderr and p.returncode == 1, p.stderr
    return sorted({f["file"] for f in json.loads(p.stdout)})


def test_discovery_matches_git_ls_files(repo):
    expected = listed_by_git(repo)
    assert "build/Dockerfile" not in expected and "services/web/keep/Dockerfile.local" in expected  # the tree works
    assert found(repo) == expected


def test_gitignore_lines_end_at_newlines_only(repo):
    """git ends a line at \\n (dropping a CR before it): a form feed, lone CR or U+2028 in one is part of its
    pattern; splitlines made `build/` and `*.local` patterns of their own and skipped what git lists."""
    (repo / ".gitignore").write_bytes("x\fbuild/\ny\r*.local\r\nz\u2028docs/\n".encode())
    expected = listed_by_git(repo)
    assert "build/Dockerfile" in expected and "services/web/Dockerfile.local" in expected
    assert found(repo) == expected


def test_no_gitignore_searches_everything(repo):
    every = found(repo, "--no-gitignore")
    assert {"build/Dockerfile", "docs/Dockerfile", "tmp.Dockerfile", "services/api/generated/Dockerfile"} <= set(every)
    assert "node_modules/pkg/Dockerfile" not in every


def test_named_files_are_linted_even_when_ignored(repo):
    p = dlint("check", "--select", "DL3057", "--format", "json", "build/Dockerfile", "docs/Dockerfile", cwd=repo)
    assert p.returncode == 1 and b"build/Dockerfile" in p.stdout and b"docs/Dockerfile" in p.stdout


def test_outside_a_work_tree_gitignore_files_are_not_read(tmp_path):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "Dockerfile").write_text(FROM)
    (tmp_path / ".gitignore").write_text("build/\n")
    p = dlint("check", "--select", "DL3057", "--format", "json", ".", cwd=tmp_path)
    assert p.returncode == 1 and b"build/Dockerfile" in p.stdout


def _agreements(seed: int, pieces: list[str], most: int, lines: int, path, paths: int) -> int:
    """Random .gitignore lines of up to `most` pieces, each rewritten by without_backtracking and matched
    against `paths` random paths as pathspec's own regex is: the same answer and the same directory
    group every time. Returns how many lines the rewrite changed."""
    import random
    import re

    import pathspec

    from dlint.lint.gitignore import without_backtracking

    rng = random.Random(seed)
    changed = 0
    for _ in range(lines):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(1, most)))
        try:
            regex = pathspec.GitIgnoreSpec.from_lines([line]).patterns[0].regex
        except Exception:  # noqa: BLE001 - a pattern pathspec refuses is refused either way
            continue
        if regex is None:
            continue
        linear = without_backtracking(regex.pattern)
        changed += linear != regex.pattern
        rewritten = re.compile(linear)
        for _ in range(paths):
            p = path(rng)
            old, new = regex.match(p), rewritten.match(p)
            assert (old is None) == (new is None), (line, p, regex.pattern, linear)
            if old is not None:
                assert old.groupdict().get("ps_d") == new.groupdict().get("ps_d"), (line, p)
    return changed


def test_stars_matched_without_backtracking_agree_with_pathspec_s_own_regex():
    """The rewrite (each star another follows made atomic and lazy) answers as pathspec's regex does."""
    pieces = ["a", "b", "*", "?", "[ab]", "[!a]", "/", "**", "\\*", "."]
    assert _agreements(3, pieces, 7, 3000, lambda rng: "".join(rng.choice("ab/.") for _ in range(rng.randint(1, 10))), 8) > 100


def test_a_gitignore_pattern_of_many_stars_does_not_hang_the_walk(repo):
    """`*a*a*a*a*a*a*a*a*b` against a 60-character name: n**8 steps through pathspec's regex."""
    (repo / ".gitignore").write_text("*a" * 8 + "*b\n")
    (repo / ("a" * 60 + ".Dockerfile")).write_text("FROM debian:12\n")
    (repo / ("a" * 59 + "b")).mkdir()  # ignored: the pattern matches it
    (repo / ("a" * 59 + "b") / "Dockerfile").write_text("FROM debian\n")
    p = dlint("check", "--format", "json", ".", cwd=repo)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == []  # the one Dockerfile seen has no finding; the ignored one was not read


def _real_path(rng) -> str:
    """A path as the walk asks about it: segments, no empty one, a directory's with a trailing /."""
    segments = ["".join(rng.choice("ab.") for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 6))]
    return "/".join(segments) + rng.choice(["", "/"])


def test_double_stars_matched_without_backtracking_agree_with_pathspec_s_own_regex():
    """`**` runs made atomic (the nearest whole segments after each) answer as pathspec's regex does,
    stars inside them too, on paths as the walk forms them."""
    pieces = ["a", "b", "ab", "*", "?", "[ab]", "[!a]", "/", "**", "**/", "\\*", ".", *["/**/"] * 4]
    assert _agreements(5, pieces, 9, 2500, _real_path, 10) > 100  # the rewrite was exercised, not only left alone


def test_a_gitignore_line_chaining_double_stars_does_not_hang_the_walk(repo):
    """`a/**/a/**/.../b` (ten `**`) against directories 40 deep: each `**` multiplied the time by ~6."""
    (repo / ".gitignore").write_text("a/**/" * 10 + "b\n")
    deep = repo.joinpath(*["a"] * 40)
    (deep / "b").mkdir(parents=True)
    (deep / "b" / "Dockerfile").write_text(FROM)  # ignored: under a directory the line matches
    (deep / "Dockerfile").write_text(FROM)  # not ignored
    assert "a/" * 40 + "Dockerfile" in found(repo)
    assert found(repo) == listed_by_git(repo)


@pytest.mark.parametrize("line", ["!", "\\", "[z-a]", "a[z-a]b", "!\\"])
def test_a_line_pathspec_refuses_matches_nothing_and_the_rest_still_apply(repo, line):
    """git takes these (`!` or `\\` alone it ignores; a reversed range never matches): they are no
    reason for a traceback, and the lines around them still ignore what they name."""
    (repo / ".gitignore").write_text(f"{line}\n" + (repo / ".gitignore").read_text() + f"{line}\n")
    assert found(repo) == listed_by_git(repo)
    assert "build/Dockerfile" not in found(repo)


def test_a_gitignore_line_of_four_million_characters_does_not_hang_the_walk(repo):
    """pathspec translates a line in time quadratic in its length (800 KB: 12 s); no path is longer
    than 4,096 characters, so a longer line cannot name one and is not translated."""
    (repo / ".gitignore").write_text("a" * 4_000_000 + "\n" + (repo / ".gitignore").read_text())
    assert found(repo) == listed_by_git(repo)
    assert "build/Dockerfile" not in found(repo)



def test_indexed_lines_answer_as_pathspec_does_over_the_whole_file(tmp_path):
    """Files mixing literal lines (looked up by name, suffix or leading path) with wildcard ones, negations and
    directory-only lines: each path gets pathspec's verdict over all the lines, order and `!` included."""
    import random

    import pathspec

    from dlint.lint.gitignore import _spec

    rng = random.Random(7)
    names = ["a", "b", "ab", "c.x", ".x", "x"]
    shapes = ["{n}", "{n}/", "/{n}", "/{n}/", "{n}/{m}", "/{n}/{m}/", "*{n}", "*.x/", "{n}*", "**/{n}", "{n}/**",
              "a?", "[ab]", "#{n}", "", "..", ".", "{n}/{m}/{n}"]
    for trial in range(1000):
        lines = [rng.choice(["", "", "!"]) + rng.choice(shapes).format(n=rng.choice(names), m=rng.choice(names))
                 for _ in range(rng.randint(1, 12))]
        lines = [line for line in lines if line != "!"]  # pathspec refuses it (git ignores it)
        ignore = tmp_path / f"ignore{trial}"
        ignore.write_text("\n".join(lines) + "\n")
        indexed, whole = _spec(str(ignore)), pathspec.GitIgnoreSpec.from_lines(lines)
        for _ in range(30):
            path = "/".join(rng.choice(names) for _ in range(rng.randint(1, 4))) + rng.choice(["", "/"])
            expected = whole.check_file(path).include
            assert (indexed.include(path) if indexed else None) == expected, (lines, path)


def test_a_gitignore_of_40000_names_costs_lookups_not_a_match_per_line(repo):
    """Generated ignore files list tens of thousands of names; each was one regex per path walked (40,000
    lines and 3,500 directories: about two minutes). The answers stay git's."""
    lines = [["gen{}", "/out{}/", "*.tmp{}", "!keep{}", "s/lib{}"][i % 5].format(i) for i in range(40_000)]
    (repo / ".gitignore").write_text("\n".join([*lines, "d3*/", "keep7", "!d12"]) + "\n")
    for i in range(3500):
        (repo / f"d{i}").mkdir()
        (repo / f"d{i}" / "Dockerfile").write_text(FROM)
    for name in ("gen5", "keep3", "keep7", "out6", "s/lib9", "x.tmp2"):
        (repo / name).mkdir(parents=True)
        (repo / name / "Dockerfile").write_text(FROM)
    p = subprocess.run([sys.executable, "-m", "dlint", "check", "--format", "json", "--select", "DL3057", "."],
                       cwd=repo, capture_output=True, text=True, timeout=90,
                       env={**os.environ, "HOME": str(repo.parent / "home"),
                            "XDG_CONFIG_HOME": str(repo.parent / "home" / ".config")})
    assert sorted({f["file"] for f in json.loads(p.stdout)}) == listed_by_git(repo)
