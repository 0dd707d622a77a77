"""The review-tool formats (sonarqube, rdjson, gnu, markdown), each read back by its schema or a real consumer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft7Validator
from machine import unavailable
from test_cli_check import dlint
from test_report_formats import NASTY, nasty_finding

from dlint.lint.finding import Edit, Fix, Level, Replacement
from dlint.report import render

SCHEMAS = Path(__file__).parent / "schemas"
# Line 3 holds non-ASCII before a fixable spot: UTF-8 byte columns differ from character columns there.
DOCKERFILE = (
    "FROM debian:bookworm-slim\n"
    "ADD ./app/ /app\n"
    'RUN echo "héllo wörld" && apt-get install --no-install-recommends curl=7.88.1-10\n'
    "RUN apt-get update\n"
)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def report(project: Path, fmt: str) -> str:
    p = dlint("check", "--format", fmt, "Dockerfile", cwd=project)
    assert p.returncode == 1, p.stderr
    return p.stdout.decode()


def reference(project: Path) -> list[dict]:
    return json.loads(report(project, "json"))


# --- rdjson ----------------------------------------------------------------------------------


def test_rdjson_validates_against_reviewdogs_schema(project):
    doc = json.loads(report(project, "rdjson"))
    schema = json.loads((SCHEMAS / "rdjson-DiagnosticResult.json").read_text())
    assert sorted(Draft4Validator(schema).iter_errors(doc), key=str) == []
    assert doc["source"]["name"] == "dlint"
    assert [(d["code"]["value"], d["location"]["range"]["start"]["line"]) for d in doc["diagnostics"]] == [
        (f["code"], f["line"]) for f in reference(project)
    ]


def test_rdjson_columns_count_utf8_bytes(project):
    doc = json.loads(report(project, "rdjson"))
    by_code = {f["code"]: f for f in reference(project)}
    dl3014 = next(d for d in doc["diagnostics"] if d["code"]["value"] == "DL3014")
    line = DOCKERFILE.splitlines()[2]
    start = dl3014["location"]["range"]["start"]["column"]
    assert line.encode()[start - 1 :].startswith(b"apt-get install")
    assert start == by_code["DL3014"]["column"] + 2  # é and ö take two bytes each
    dl3020 = next(d for d in doc["diagnostics"] if d["code"]["value"] == "DL3020")
    assert dl3020["location"]["range"]["start"]["column"] == by_code["DL3020"]["column"]  # an ASCII line


def apply_suggestions(text: str, suggestions: list[dict]) -> str:
    """What reviewdog does with a suggestion: replace the byte range (end exclusive) with the text."""
    data = text.encode()
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]

    def offset(pos: dict) -> int:
        return starts[pos["line"] - 1] + pos["column"] - 1

    for s in sorted(suggestions, key=lambda s: offset(s["range"]["start"]), reverse=True):
        data = data[: offset(s["range"]["start"])] + s["text"].encode() + data[offset(s["range"]["end"]) :]
    return data.decode()


@pytest.mark.parametrize("code", ["DL3014", "DL3020"])
def test_rdjson_suggestion_applied_gives_what_fix_writes(project, code):
    doc = json.loads(report(project, "rdjson"))
    diagnostic = next(d for d in doc["diagnostics"] if d["code"]["value"] == code)
    suggested = apply_suggestions(DOCKERFILE, diagnostic["suggestions"])
    p = dlint("check", "--fix", "--select", code, "Dockerfile", cwd=project)
    assert p.returncode == 0, p.stderr
    assert suggested == (project / "Dockerfile").read_text() != DOCKERFILE


def test_rdjson_offers_only_fixes_that_fix_applies(project):
    doc = json.loads(report(project, "rdjson"))
    safe = {f["code"] for f in reference(project) if f["fixable"]}
    offered = {d["code"]["value"] for d in doc["diagnostics"] if "suggestions" in d}
    assert offered == {"DL3014", "DL3020"} and offered <= safe
    edit = Replacement(2, 5, 2, 9, 5, 9, "new")
    for is_safe in (True, False):
        f = replace(nasty_finding(), fix=Fix((Edit(0, 1, "new"),), safe=is_safe), replacements=(edit,))
        (diagnostic,) = json.loads(render.render("rdjson", [f]))["diagnostics"]
        assert ("suggestions" in diagnostic) is is_safe


# --- sonarqube -------------------------------------------------------------------------------


def test_sonarqube_validates_against_the_documented_format(project):
    doc = json.loads(report(project, "sonarqube"))
    schema = json.loads((SCHEMAS / "sonarqube-generic-issues.json").read_text())
    assert sorted(Draft7Validator(schema).iter_errors(doc), key=str) == []
    found = reference(project)
    assert sorted(r["id"] for r in doc["rules"]) == sorted({f["code"] for f in found})
    for issue, f in zip(doc["issues"], found, strict=True):
        assert issue["ruleId"] == f["code"]
        assert issue["primaryLocation"]["filePath"] == "Dockerfile"
        assert issue["primaryLocation"]["textRange"] == {
            "startLine": f["line"],
            "startColumn": f["column"] - 1,  # SonarQube counts columns from 0
            "endLine": f["end_line"],
            "endColumn": f["end_column"] - 1,
        }


def test_sonarqube_columns_count_utf16_units(tmp_path):
    """SonarQube reads offsets in Java chars: an astral character is two, so code point columns pointed
    before the package."""
    (tmp_path / "Dockerfile").write_text("FROM debian\nRUN echo \U0001f600\u00e9\U0001d400 && apt-get install -y curl\n"
                                         "RUN --mount=\U0001f600 x\n")
    doc = json.loads(dlint("check", "--isolated", "--format", "sonarqube", "Dockerfile", cwd=tmp_path).stdout)
    ranges = {i["ruleId"]: i["primaryLocation"]["textRange"] for i in doc["issues"]}
    line = "RUN echo \U0001f600\u00e9\U0001d400 && apt-get install -y curl".encode("utf-16-le")
    assert ranges["DL3008"]["startColumn"] == line.index("curl".encode("utf-16-le")) // 2
    assert ranges["DL3008"]["endColumn"] - ranges["DL3008"]["startColumn"] == 4


def test_sonarqube_empty_span_is_a_line_and_levels_map_to_impacts(tmp_path):
    (tmp_path / "Dockerfile").write_text("")  # DL1000 at 1:1, an empty span
    doc = json.loads(dlint("check", "--format", "sonarqube", "Dockerfile", cwd=tmp_path).stdout)
    assert doc["issues"][0]["primaryLocation"]["textRange"] == {"startLine": 1}
    assert doc["rules"][0]["impacts"] == [{"softwareQuality": "RELIABILITY", "severity": "HIGH"}]
    warning = json.loads(render.render("sonarqube", [nasty_finding(Level.WARNING)]))
    assert warning["rules"][0]["impacts"][0]["severity"] == "MEDIUM"


# --- gnu -------------------------------------------------------------------------------------


def test_gnu_lines_are_file_line_col_severity_message(project):
    lines = report(project, "gnu").splitlines()
    found = reference(project)
    severities = {"error": "error", "warning": "warning", "info": "note", "style": "note"}
    assert lines == [
        f"Dockerfile:{f['line']}:{f['column']}: {severities[f['level']]}: {f['message']} [{f['code']}]" for f in found
    ]


def test_gnu_is_read_by_vims_quickfix(project):
    nvim = shutil.which("nvim")
    if nvim is None:
        unavailable("nvim is not installed (Debian: apt-get install neovim)")
    (project / "out.txt").write_text(report(project, "gnu"))
    script = (
        "call writefile(map(getqflist(), {_, e -> bufname(e.bufnr) . ':' . e.lnum . ':' . e.col . ':' . e.text}),"
        " 'qf.txt')"
    )
    subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", "cgetfile out.txt", "-c", script, "-c", "qa!"],
        cwd=project, check=True, timeout=60, capture_output=True,
    )
    entries = (project / "qf.txt").read_text().splitlines()
    found = reference(project)
    assert [e.split(":", 3)[:3] for e in entries] == [["Dockerfile", str(f["line"]), str(f["column"])] for f in found]
    assert all(f["message"] in e for e, f in zip(entries, found, strict=True))


# --- markdown --------------------------------------------------------------------------------


def tables(markdown: str) -> list[list[list[str]]]:
    """Each table as rows of cell texts, parsed by markdown-it (CommonMark + GFM tables)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert not [t for t in tokens if t.type.startswith("html")]
    out: list[list[list[str]]] = []
    row: list[str] = []
    for t in tokens:
        if t.type == "table_open":
            out.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type == "inline" and out and t.map is not None and row is not None:
            if any(c.type.startswith("html") for c in t.children or []):
                raise AssertionError(f"markup got through: {t.content!r}")
            row.append("".join(c.content for c in t.children or []))
        elif t.type == "tr_close":
            out[-1].append(row)
    return out


def test_markdown_counts_by_rule_and_lists_findings(project):
    found = reference(project)
    counts, rows = tables(report(project, "markdown"))
    assert counts[0] == ["rule", "name", "level", "count"]
    assert sum(int(r[3]) for r in counts[1:]) == len(found)
    assert [r[:3] for r in rows[1:]] == [["Dockerfile", str(f["line"]), f["code"]] for f in found]
    assert all(len(r) == 5 for r in rows)


def test_markdown_cells_hold_hostile_text_literally():
    hostile = nasty_finding()
    hostile.message = NASTY + " | <img src=x> `a|b` [link](http://x) **bold**"
    _, rows = tables(render.render("markdown", [hostile]))
    assert len(rows) == 2 and len(rows[1]) == 5  # the pipes did not add cells
    message = rows[1][4]
    assert "<img src=x>" in message and "[link](http://x)" in message and "**bold**" in message
    assert "a|b" in message and "\x1b" not in message and "\\x1b" in message


def test_markdown_without_findings_says_so(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\n")
    p = dlint("check", "--format", "markdown", "Dockerfile", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.decode() == "### dlint\n\nNo findings in 1 file.\n"


def test_markdown_backticks_that_close_nothing_open_no_html():
    """"```" with no "```" after it is literal text in CommonMark, so the `<img>` after it was HTML in the
    comment: the old pairing took the lone "`" after it for the end of a code span holding the tag."""
    hostile = nasty_finding()
    hostile.message = "pin ```<img src=x onerror=alert(1)>` now"
    _, rows = tables(render.render("markdown", [hostile]))  # tables() fails on any HTML token
    assert rows[1][4] == "pin ```<img src=x onerror=alert(1)>` now"


def test_markdown_of_huge_findings_stays_under_githubs_comment_limit():
    """Each finding quoting a 60 KB package name made a 12 MB comment, which GitHub refuses whole."""
    word = "`p" + "x" * 60_000 + "` is not pinned"
    found = [replace(nasty_finding(), line=i, message=word) for i in range(1, 200)]
    text = render.render("markdown", found)
    assert len(text) < 65_536
    table, tail = text.rsplit("\n\n", 1)
    _, rows = tables(table)
    assert len(rows) > 40 and all(len(r) == 5 for r in rows)
    assert rows[1][4] == "`p" + "x" * 498 + "... (60,017 characters)"
    assert tail == f"... and {199 - (len(rows) - 1)} more (see the full report).\n"


def test_markdown_mentions_notify_no_one():
    """A file or a word `@org/security` in the comment notified the team on every push of the pull request."""
    hostile = replace(nasty_finding(), file="@org/security.Dockerfile", message="pin @alice, `@bob` and a@b.c")
    _, rows = tables(render.render("markdown", [hostile]))
    assert rows[1][0] == "@\u200borg/security.Dockerfile"
    assert rows[1][4] == "pin @\u200balice, @bob and a@\u200bb.c"  # in a code span, no mention is made


LINKABLE = ["https://evil.example/a|b", "HTTP://x.y", "ftp://x.y/z", "www.evil.example", "#123", "GH-45", "gh-6",
            "owner/repo#7", "own.er/re-po#8"]
_GITHUB_LINKS = re.compile(r"://|www\.|#\d|GH-\d", re.IGNORECASE)  # what GitHub would make a link of in text


def inline_parts(markdown: str) -> list[list[tuple[str, str]]]:
    """Every table row (the counts', then the findings'), each as markdown-it's (type, content) parts of its cells."""
    from markdown_it import MarkdownIt

    rows: list[list[tuple[str, str]]] = []
    for t in MarkdownIt("commonmark").enable("table").parse(markdown):
        if t.type == "tr_open":
            rows.append([])
        elif t.type == "inline" and rows:
            rows[-1] += [(c.type, c.content) for c in t.children or []]
    return rows


def test_markdown_urls_and_issue_references_link_nothing():
    """A bare URL became a link in the comment, and `#123`, `GH-123`, `owner/repo#1` cross-referenced an issue
    (GitHub notes the mention on it): in a code span GitHub links none of them."""
    text = " ".join(f"({w})" if k % 2 else w for k, w in enumerate(LINKABLE))
    hostile = replace(nasty_finding(), file="GH-1/owner/repo#7/www.x.y/#9.Dockerfile", message=f"see {text}, `a` then")
    _, rows = tables(render.render("markdown", [hostile]))
    assert rows[1][0] == "GH-1/owner/repo#7/www.x.y/#9.Dockerfile"  # as written
    assert rows[1][4] == f"see {text}, a then"
    parts = inline_parts(render.render("markdown", [hostile]))[-1]  # the findings table's one row
    assert not [c for kind, c in parts if kind != "code_inline" and _GITHUB_LINKS.search(c)], parts
    code = " ".join(c for kind, c in parts if kind == "code_inline")
    assert all(w in code for w in LINKABLE)


@pytest.mark.parametrize("message,spans", [
    ("`x`https://a.b", ["xhttps://a.b"]),  # side by side, `x``https...` would be one run of two backticks
    ("#1`y`", ["#1y"]),
    ("`` `x ``#2", ["`x#2"]),  # the span's padding is CommonMark's, not its text: `x then #2
    ("a#1 GH-2x", ["#1", "GH-2"]),
])
def test_markdown_reference_touching_a_code_span_joins_it(message, spans):
    hostile = replace(nasty_finding(), message=message)
    parts = inline_parts(render.render("markdown", [hostile]))[-1]  # the findings table's one row
    assert [c for kind, c in parts if kind == "code_inline"][-len(spans):] == spans


def test_unit_columns_on_a_long_line_match_a_direct_count(tmp_path):
    """Byte and UTF-16 columns are counted from marks along a long line (linear in its findings): each
    still equals the prefix's own length, across marks and with astral characters between them."""
    line = "RUN " + " && ".join(f"echo \U0001f600\u00e9 && apt-get install -y p{i}" for i in range(300))
    (tmp_path / "Dockerfile").write_text(f"FROM debian\n{line}\n")
    args = ("check", "--isolated", "--select", "DL3008", "Dockerfile")
    sonar = json.loads(dlint(*args, "--format", "sonarqube", cwd=tmp_path).stdout)["issues"]
    rd = json.loads(dlint(*args, "--format", "rdjson", cwd=tmp_path).stdout)["diagnostics"]
    starts = [m.start() for m in re.finditer(r"p\d+", line)]
    assert len(starts) == len(sonar) == len(rd) == 300
    for at, issue, diag in zip(starts, sonar, rd, strict=True):
        assert issue["primaryLocation"]["textRange"]["startColumn"] == len(line[:at].encode("utf-16-le")) // 2
        assert diag["location"]["range"]["start"]["column"] == len(line[:at].encode()) + 1
