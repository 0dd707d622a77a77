"""Every report format against a file name the file system allows but no format can hold as is (bytes
that are not UTF-8, a newline that starts a workflow command, an ESC) and a Dockerfile whose words
hold ESC, CR and BEL: each report stays valid for its readers, and no control character reaches a
stream raw. Each input is made here."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from jsonschema import Draft4Validator, Draft7Validator
from machine import sarif_errors
from test_hostile_io import dlint

from dlint.report.render import FORMATS

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).parent / "schemas"

# The name as bytes, and as every report but SARIF's URIs spells it.
NAME = b"bad\xff\xfe\n::error::x\x1b[2J.Dockerfile"
SHOWN = "bad\\xff\\xfe\\x0a::error::x\\x1b[2J.Dockerfile"
CONTENT = b'FROM deb\x1b[2Jian\nRUN apt-get install -y cu\x1b[2K\x07rl "w\rget"\n'


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / os.fsdecode(NAME)).write_bytes(CONTENT)
    return tmp_path


def raw_controls(data: bytes) -> list[int]:
    """Control characters other than the newline (reports are text, UTF-8 strictly: no surrogate got through)."""
    return [ord(c) for c in data.decode() if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]


def check(project: Path, fmt: str, *paths: str) -> str:
    p = dlint("check", "--isolated", "--format", fmt, *(paths or (".",)), cwd=project)
    assert p.returncode == 1, p.stderr
    assert not raw_controls(p.stdout) and not raw_controls(p.stderr), (p.stdout, p.stderr)
    assert p.stderr.decode().startswith("dlint: ") and len(p.stderr.decode().splitlines()) == 1
    return p.stdout.decode()


def strings(doc) -> list[str]:
    if isinstance(doc, dict):
        return [s for k, v in doc.items() for s in strings(k) + strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in strings(v)]
    return [doc] if isinstance(doc, str) else []


def assert_no_surrogates(doc) -> None:
    """JSON can write a lone surrogate as `\\udcff`, but strict readers (and UTF-8) have no such character."""
    for s in strings(doc):
        s.encode("utf-8")  # raises on a lone surrogate


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_takes_a_path_that_is_not_utf8_and_escapes_controls(project, fmt):
    out = check(project, fmt)
    words = out.replace("\\\\", "\\")  # JSON doubles the backslash
    shown = SHOWN.replace("[", "\\[") if fmt == "markdown" else SHOWN  # a Markdown cell escapes the bracket
    assert "::error::x" not in words.replace(shown, "")  # the name's text appears only escaped
    assert "cu\\x1b[2K\\x07rl" in words and "w\\x0dget" in words  # the Dockerfile's words, escaped
    assert words.count("\\x1b") >= 3 or fmt == "sarif"  # name, FROM and RUN words (SARIF: the name is a URI)
    if fmt in ("text", "gnu"):
        assert all(line.startswith(SHOWN + ":") for line in out.splitlines()), out
    elif fmt == "github":
        lines = out.splitlines()
        assert lines and all(re.match(r"::(error|warning|notice) file=[^:]*,line=\d+,", line) for line in lines), out
        assert {line.split(",", 1)[0].split("=", 1)[1] for line in lines} == {SHOWN.replace(":", "%3A")}
    elif fmt == "markdown":
        rows = [line for line in out.splitlines() if line.startswith("| bad")]
        assert rows and all(line.count(" | ") == 4 for line in rows), out
    elif fmt in ("checkstyle", "junit"):
        root = ET.fromstring(out)  # well-formed
        names = {e.get("name") for e in root.iter() if e.tag in ("file", "testcase")}
        assert names == {SHOWN}
    else:
        doc = json.loads(out)
        assert_no_surrogates(doc)
        paths = {
            "json": lambda: {d["file"] for d in doc},
            "gitlab": lambda: {d["location"]["path"] for d in doc},
            "rdjson": lambda: {d["location"]["path"] for d in doc["diagnostics"]},
            "sonarqube": lambda: {d["primaryLocation"]["filePath"] for d in doc["issues"]},
            "sarif": lambda: {
                loc["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]
                for loc in r["locations"]
            },
        }[fmt]()
        if fmt == "sarif":
            assert len(paths) == 1 and unquote_to_bytes(paths.pop()) == NAME  # the bytes, percent-encoded
        else:
            assert paths == {SHOWN}


def test_sarif_with_such_paths_validates_against_the_schema(project, tmp_path):
    outside = tmp_path / "sub"
    outside.mkdir()
    for cwd, path in ((project, "."), (outside, str(project / os.fsdecode(NAME)))):  # relative, then absolute URI
        doc = json.loads(check(cwd, "sarif", path))
        assert sarif_errors(doc) == []
        uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert unquote_to_bytes(uri).endswith(NAME)


@pytest.mark.parametrize("fmt,schema,draft", [
    ("rdjson", "rdjson-DiagnosticResult.json", Draft4Validator),
    ("sonarqube", "sonarqube-generic-issues.json", Draft7Validator),
])
def test_review_formats_with_such_paths_validate(project, fmt, schema, draft):
    doc = json.loads(check(project, fmt))
    assert sorted(draft(json.loads((SCHEMAS / schema).read_text())).iter_errors(doc), key=str) == []


def test_stderr_lines_escape_such_paths(tmp_path):
    """`cannot read`, `invalid UTF-8` and `no Dockerfiles found`: one line each, the name escaped."""
    odd = tmp_path / os.fsdecode(b"d\xff\n::add-mask::x\x07")
    odd.mkdir()
    (odd / "Dockerfile").write_bytes(b"FROM debian\nRUN echo \xff\n")
    for target, status in ((odd / "Dockerfile", 2), (odd / "missing", 2), (odd / "sub", 0)):
        if target.name == "sub":
            target.mkdir()
        p = dlint("check", "--isolated", "--format", "github", str(target))
        assert p.returncode == status, p.stderr
        assert not raw_controls(p.stderr) and not raw_controls(p.stdout)
        lines = p.stderr.decode().splitlines()
        assert lines and all(line.startswith("dlint: ") for line in lines), lines
        assert "d\\xff\\x0a::add-mask::x\\x07" in p.stderr.decode()


@pytest.mark.parametrize("fmt", ["text", "gnu"])
def test_bidirectional_controls_in_names_and_words_are_shown_escaped(tmp_path, fmt):
    """U+202E and its kin reorder what follows them on screen, so a name can read as another
    ("Trojan Source"): on a terminal they are shown as `\\u202e`, like the C0 and C1 controls."""
    name = "evil\u202etxt.Dockerfile"
    (tmp_path / name).write_text("FROM debian\n# hadolint ignore=DL3\u2066007\nRUN echo \u200f hi\n")
    p = dlint("check", "--isolated", "--format", fmt, ".", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    shown = p.stdout.decode() + p.stderr.decode()
    assert not any(c in shown for c in "\u202e\u2066\u200f")
    assert "evil\\u202etxt.Dockerfile" in p.stdout.decode()


def workflow_commands(text: str) -> list[str]:
    """The lines GitHub's runner would run: `::name ...::data` at the start after blanks (it trims them),
    `##[name]data` anywhere in a line (its first syntax, still read)."""
    return [line for line in text.splitlines() if line.lstrip().startswith("::") or "##[" in line]


@pytest.mark.parametrize("fmt", ["text", "gnu", "github"])
def test_a_name_or_a_word_runs_no_github_workflow_command(tmp_path, fmt):
    """A file named `::stop-commands::tok` started a text line: the runner stopped reading commands, and every
    later annotation was lost; a package `x##[add-mask]DL3008` masked the rule's code in the whole log."""
    (tmp_path / "::stop-commands::tok.Dockerfile").write_text(
        "FROM debian:12\nRUN apt-get install -y --no-install-recommends x##[add-mask]DL3008\n")
    p = dlint("check", "--isolated", "--format", fmt, ".", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    out = p.stdout.decode()
    assert "DL3008" in out and "#\\x23[add-mask]DL3008" in out
    commands = workflow_commands(out + p.stderr.decode())
    # github: only its own annotations, one a line, each a warning or an error naming its file
    assert len(commands) == (len(out.splitlines()) if fmt == "github" else 0), commands
    own = re.compile(r"::(warning|error|notice) file=%3A%3Astop-commands%3A%3Atok\.Dockerfile,")
    assert all(own.match(c) for c in commands)


def test_a_diff_runs_no_github_workflow_command(tmp_path):
    """A context line of `--diff` starting (after blanks) with `::` is a command to the runner."""
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo a \\\n  ::stop-commands::tok \\\n  && true\n"
                                         "MAINTAINER me\n")
    p = dlint("check", "--isolated", "--diff", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    lines = p.stdout.decode().splitlines()
    assert p.returncode == 1 and '+LABEL maintainer="me"' in lines, p.stderr
    assert "   \\x3a:stop-commands::tok \\" in lines and workflow_commands(p.stdout.decode()) == []


@pytest.mark.parametrize("fmt", ["text", "gnu", "github", "json"])
def test_zero_width_characters_and_line_separators_are_shown_escaped(tmp_path, fmt):
    """`Docker\\u200bfile` reads as `Dockerfile`, a tag character (U+E0041) or a soft hyphen hides in a word,
    and U+2028 ends a line for many readers (a finding read as two): they are shown escaped, like the
    bidirectional controls: every format character (Unicode's Cf) is."""
    name = "Docker\u200bfile"
    (tmp_path / name).write_text("FROM debian:12\nRUN apt-get install -y --no-install-recommends "
                                 "c\u2028u\ufeffr\u2060l\U000e0041\u00ad\n")
    p = dlint("check", "--isolated", "--format", fmt, name, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    out = p.stdout.decode()
    assert not any(c in out + p.stderr.decode() for c in "\u200b\u2028\ufeff\u2060\U000e0041\u00ad")
    out = out.replace("\\\\", "\\") if fmt == "json" else out
    assert "Docker\\u200bfile" in out and "c\\u2028u\\ufeffr\\u2060l\\U000e0041\\u00ad" in out
    if fmt != "json":
        assert len(out.splitlines()) == 1  # DL3008 alone, on one line


def test_sarif_uri_of_a_path_whose_dot_segments_leave_the_root_is_absolute(tmp_path):
    """`sub/../../x/Dockerfile` was written as is, relative to %SRCROOT%: a reader resolving it lands outside
    the checkout (GitHub drops it, another tool may show a file of the runner's). Inside, it is resolved."""
    root, outside = tmp_path / "root", tmp_path / "x"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM debian\n")
    (root / "a b#.Dockerfile").write_text("FROM debian\n")
    p = dlint("check", "--isolated", "--format", "sarif", "sub/../../x/Dockerfile", "./sub/.././a b#.Dockerfile",
              cwd=root)
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in doc["runs"][0]["results"]]
    assert {json.dumps(a, sort_keys=True) for a in locations} == {
        json.dumps({"uri": (outside / "Dockerfile").as_uri()}),
        json.dumps({"uri": "a%20b%23.Dockerfile", "uriBaseId": "%SRCROOT%"}, sort_keys=True),
    }
    assert sarif_errors(doc) == []


def lint_dash(tmp_path: Path, fmt: str, *paths: str, files: int = 0) -> str:
    """`dlint check PATHS` in a directory holding a file named `-`, stdin another Dockerfile; `files` linted
    (default: one per path)."""
    files = files or len(paths)
    (tmp_path / "-").write_text("FROM debian\n")
    (tmp_path / "stdin").write_text("FROM alpine\n")
    with open(tmp_path / "stdin", "rb") as stdin:
        p = dlint("check", "--isolated", "--select", "DL3006", "--format", fmt, *paths, cwd=tmp_path, stdin=stdin)
    assert p.returncode == 1, p.stderr
    assert p.stderr.decode().endswith(f"in {files} file{'s' if files > 1 else ''}, 0 fixable\n")
    return p.stdout.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_named_dash_is_not_named_as_stdin(tmp_path, fmt):
    """A file named `-` (`./-`, or by its absolute path) was reported as `-`, stdin's name: in SARIF the same
    artifact, and `dlint check - ./-` took the two for one path and linted only stdin."""
    for path in ("./-", str(tmp_path / "-")):
        assert "./-" in lint_dash(tmp_path, fmt, path) or fmt in ("text", "json", "gnu")  # these: the path as given
    assert "./-" not in lint_dash(tmp_path, fmt, "-")
    both = lint_dash(tmp_path, fmt, "-", "./-")  # two files: stdin's `alpine` and the file's `debian`
    assert "alpine" in both and "debian" in both and "./-" in both


def test_sarif_gives_a_file_named_dash_its_own_uri(tmp_path):
    (tmp_path / "sub").mkdir()
    doc = json.loads(lint_dash(tmp_path, "sarif", "-", "./-", "sub/../-", files=2))  # the last is the second again
    locations = {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"], sort_keys=True)
                 for r in doc["runs"][0]["results"]}
    assert locations == {json.dumps({"uri": uri, "uriBaseId": "%SRCROOT%"}, sort_keys=True) for uri in ("-", "./-")}


def test_gitlab_fingerprints_of_files_whose_names_are_shown_alike_differ(tmp_path):
    """`a<LF>b` and `a\\x0ab` are both shown `a\\x0ab`: their findings got one fingerprint, and GitLab keeps
    one issue of each fingerprint. A name without escapes keeps the fingerprint it had."""
    import hashlib

    for name in ("a\nb.Dockerfile", "a\\x0ab.Dockerfile", "plain.Dockerfile"):
        (tmp_path / name).write_text("FROM debian\n")
    p = dlint("check", "--isolated", "--format", "gitlab", ".", cwd=tmp_path)
    issues = json.loads(p.stdout)
    assert [i["location"]["path"] for i in issues] == ["a\\x0ab.Dockerfile"] * 2 + ["plain.Dockerfile"]
    assert len({i["fingerprint"] for i in issues}) == 3
    engine = json.loads(dlint("check", "--isolated", "--format", "sarif", "plain.Dockerfile", cwd=tmp_path).stdout)
    partial = engine["runs"][0]["results"][0]["partialFingerprints"]["dlint/v1"]
    assert issues[2]["fingerprint"] == hashlib.sha256(f"plain.Dockerfile\0{partial}".encode()).hexdigest()[:32]


@pytest.mark.parametrize("fmt", ["text", "gnu", "github"])
def test_line_separators_in_words_are_shown_escaped(tmp_path, fmt):
    """U+2028 and U+2029 are line ends to str.splitlines and to editors: raw in a package name, one
    finding read as two lines, the second a forged one."""
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN apt-get install curl\u2028x:9:1:\u2029a\n")
    p = dlint("check", "--isolated", "--format", fmt, "Dockerfile", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    shown = p.stdout.decode() + p.stderr.decode()
    assert "\u2028" not in shown and "\u2029" not in shown
    assert "curl\\u2028x:9:1:\\u2029a" in shown
