"""Every `--format`, read back with a real parser of that format."""

from __future__ import annotations

import importlib.metadata
import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from machine import sarif_errors
from test_cli_check import dlint

from dlint.lint.finding import Anchor, Finding, Level
from dlint.lint.registry import all_rules
from dlint.output import printable
from dlint.report import render

ROOT = Path(__file__).resolve().parents[1]

DOCKERFILE = (
    "FROM debian:bookworm-slim\n"
    "# dlint ignore=DLT001 # the next stage installs\n"
    "RUN apt-get update\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends zlib1g curl && rm -rf /var/lib/apt/lists/*\n"
    "RUN apt-get update\n"
)
SELECT = ("--select", "DLT001,DLT002,DL3009")
# Everything the formats must escape: markup, quotes, the workflow-command
# separators, line breaks and a character XML 1.0 cannot carry at all.
NASTY = 'pin <b>&</b> "it", 100%: a\r\nb\x1b'


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "clean.Dockerfile").write_text("FROM debian:bookworm-slim\n")
    return tmp_path


def run(project: Path, fmt: str, *extra: str) -> subprocess.CompletedProcess:
    p = dlint("check", *SELECT, "--format", fmt, *extra, "Dockerfile", "clean.Dockerfile", cwd=project)
    assert p.returncode == 1, p.stderr
    return p


def expected(project: Path) -> list[dict]:
    """What the user sees, as JSON: the reference the other formats are compared to."""
    return json.loads(run(project, "json").stdout)


def nasty_finding(level: Level = Level.WARNING) -> Finding:
    where = ("dir/Dockerfile", 2, 5, 2, 9)
    return Finding(*where, "DLT001", "apt-update-alone", level, NASTY, 2, 2, anchor=Anchor("RUN apt-get update"))


def test_json_leaves_suppressed_findings_out(project):
    found = expected(project)
    assert [(d["line"], d["code"]) for d in found] == [(3, "DL3009"), (4, "DLT002"), (5, "DL3009"), (5, "DLT001")]


# --- SARIF ---------------------------------------------------------------------------------


def sarif(project: Path) -> dict:
    return json.loads(run(project, "sarif").stdout)


def test_sarif_validates_against_the_official_schema(project):
    errors = sarif_errors(sarif(project))
    assert not errors, errors[0]


def test_sarif_rules_carry_the_rule_pages(project):
    run_ = sarif(project)["runs"][0]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("dlint", importlib.metadata.version("dockerfile-dlint"))
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["DL3009", "DLT001", "DLT002"]
    dlt002 = rules[2]
    assert dlt002["name"] == "unsorted-packages"
    page = all_rules()["DLT002"]
    assert dlt002["shortDescription"]["text"] == page.summary
    assert dlt002["fullDescription"]["text"] == page.section("What it does") != ""
    assert dlt002["defaultConfiguration"]["level"] == "note"  # style
    assert dlt002["help"]["markdown"].startswith("# DLT002")
    assert "layer" in rules[1]["help"]["text"]  # DLT001's "Why is this bad?"
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_rules_come_in_the_order_first_found_across_files(tmp_path):
    """Results are written as each file is done, so ruleIndex counts rules as they are first found;
    each rule is in the table once, and every index points at its own rule."""
    (tmp_path / "a.Dockerfile").write_text("FROM debian:bookworm-slim\nUSER root\n")  # DL3002
    (tmp_path / "b.Dockerfile").write_text("FROM debian\nUSER root\n")  # DL3006, then DL3002 again
    p = dlint("check", "--select", "DL3002,DL3006", "--format", "sarif", "a.Dockerfile", "b.Dockerfile", cwd=tmp_path)
    run_ = json.loads(p.stdout)["runs"][0]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == ["DL3002", "DL3006"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in run_["results"]] == [("DL3002", 0), ("DL3006", 1), ("DL3002", 0)]


def test_sarif_results_match_the_json_positions_and_keep_suppressed_ones(project):
    results = sarif(project)["runs"][0]["results"]
    shown = [r for r in results if "suppressions" not in r]
    for r, d in zip(shown, expected(project), strict=True):
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
        region = loc["region"]
        assert (r["ruleId"], region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            d["code"], d["line"], d["column"], d["end_line"], d["end_column"]
        )
        assert r["level"] == {"warning": "warning", "style": "note", "error": "error", "info": "note"}[d["level"]]
    (suppressed,) = [r for r in results if "suppressions" in r]
    assert suppressed["ruleId"] == "DLT001" and suppressed["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert suppressed["suppressions"] == [{"kind": "inSource", "justification": "the next stage installs"}]


def test_sarif_fingerprints_survive_edits_above_the_finding(project):
    before = sarif(project)["runs"][0]["results"]
    (project / "Dockerfile").write_text(
        DOCKERFILE.replace("FROM debian:bookworm-slim\n", "# syntax=docker/dockerfile:1\nFROM debian:bookworm-slim\nENV A=1\n\n")
    )
    after = sarif(project)["runs"][0]["results"]

    def prints(results):
        return [(r["ruleId"], r["partialFingerprints"]["dlint/v1"]) for r in results]

    assert prints(before) == prints(after)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] + 3 for r in before
    ]
    # the two identical `RUN apt-get update` lines still get different fingerprints
    dl3009 = [fp for code, fp in prints(after) if code == "DL3009"]
    assert len(dl3009) == len(set(dl3009)) == 2


# --- GitHub workflow commands --------------------------------------------------------------

# ::<command> <key>=<value>(,<key>=<value>)*::<message>, values and message escaped.
GITHUB_COMMAND = re.compile(r"::(?P<command>error|warning|notice) (?P<props>[^:\r\n]*)::(?P<message>[^\r\n]*)")
GITHUB_PROPERTY = re.compile(r"(?P<key>[A-Za-z]+)=(?P<value>[^,:\r\n]*)")


def github_unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m[1]], text)


def parse_github(text: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        m = GITHUB_COMMAND.fullmatch(line)
        assert m, f"not a workflow command: {line!r}"
        props = {}
        for part in m["props"].split(","):
            pm = GITHUB_PROPERTY.fullmatch(part)
            assert pm, f"bad property {part!r} in {line!r}"
            props[pm["key"]] = github_unescape(pm["value"])
        out.append((m["command"], props, github_unescape(m["message"])))
    return out


def test_github_annotations(project):
    commands = parse_github(run(project, "github").stdout.decode())
    want = expected(project)
    assert len(commands) == len(want)
    for (command, props, message), d in zip(commands, want, strict=True):
        assert command == {"warning": "warning", "style": "notice"}[d["level"]]
        assert props == {
            "file": "Dockerfile", "line": str(d["line"]), "col": str(d["column"]),
            "endLine": str(d["end_line"]), "endColumn": str(d["end_column"]), "title": d["code"],
        }
        assert message == d["message"]


def test_github_escaping_round_trips():
    finding = nasty_finding(Level.ERROR)
    finding.file = "we,ird:dir/100%/Dockerfile"
    ((command, props, message),) = parse_github(render.render("github", [finding]))
    # The runner decodes %0D%0A back to a line break, and would pass ESC to the log: both arrive escaped, as in text.
    assert command == "error" and message == printable(NASTY) and message.isprintable()
    assert props["file"] == finding.file


# --- GitLab Code Quality -------------------------------------------------------------------


def test_gitlab_code_quality(project):
    issues = json.loads(run(project, "gitlab").stdout)
    want = expected(project)
    assert len(issues) == len(want)
    for issue, d in zip(issues, want, strict=True):
        assert issue["check_name"] == d["code"] and d["message"] in issue["description"]
        assert issue["severity"] == {"warning": "major", "style": "info"}[d["level"]]
        assert issue["location"] == {"path": "Dockerfile", "lines": {"begin": d["line"], "end": d["end_line"]}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_severity_mapping():
    sev = [json.loads(render.render("gitlab", [nasty_finding(level)]))[0]["severity"] for level in Level]
    assert sev == ["info", "minor", "major", "critical"]  # style, info, warning, error


# --- Checkstyle and JUnit XML --------------------------------------------------------------


def test_checkstyle(project):
    root = ET.fromstring(run(project, "checkstyle").stdout)
    assert root.tag == "checkstyle"
    files = {f.get("name"): f.findall("error") for f in root.findall("file")}
    assert set(files) == {"Dockerfile", "clean.Dockerfile"} and files["clean.Dockerfile"] == []
    got = [(e.get("line"), e.get("column"), e.get("severity"), e.get("source"), e.get("message")) for e in files["Dockerfile"]]
    want = [
        (str(d["line"]), str(d["column"]), {"warning": "warning", "style": "info"}[d["level"]], f"dlint.{d['code']}", d["message"])
        for d in expected(project)
    ]
    assert got == want


def test_junit(project):
    root = ET.fromstring(run(project, "junit").stdout)
    suite = root.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"Dockerfile", "clean.Dockerfile"}
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert cases["clean.Dockerfile"].find("failure") is None
    failures = cases["Dockerfile"].findall("failure")
    assert [f.get("type") for f in failures] == [d["code"] for d in expected(project)]
    assert "Dockerfile:4:" in failures[1].get("message")


@pytest.mark.parametrize("fmt", ["checkstyle", "junit"])
def test_xml_escaping(fmt):
    root = ET.fromstring(render.render(fmt, [nasty_finding()], ["dir/Dockerfile"]))
    messages = [e.get("message") for e in root.iter() if e.get("message")]
    # markup and quotes round-trip; control characters arrive escaped, as in text (XML cannot hold ESC)
    assert messages and all('pin <b>&</b> "it", 100%: a\\x0d\\x0ab\\x1b' in m for m in messages)


# --- text and output pairs -----------------------------------------------------------------


def test_sarif_to_a_file_and_text_to_stdout_in_one_run(project):
    p = run(project, "sarif", "--output", "out.sarif", "--format", "text")
    assert json.loads((project / "out.sarif").read_text())["version"] == "2.1.0"
    assert p.stdout.decode().splitlines()[0].startswith("Dockerfile:3:5: DL3009")


@pytest.mark.parametrize("no_color,coloured", [(None, True), ("1", False)])
def test_text_is_coloured_on_a_terminal_unless_no_color(project, no_color, coloured):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    if no_color:
        env["NO_COLOR"] = no_color
    main, secondary = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "dlint", "check", *SELECT, "Dockerfile"],
            stdout=secondary, stderr=subprocess.DEVNULL, cwd=project, env=env, timeout=120,
        )
        out = os.read(main, 65536).decode()
    finally:
        os.close(main)
        os.close(secondary)
    assert "DL3009" in out
    assert ("\x1b[" in out) is coloured
