"""`dlint check --fix` / `--diff` / `--unsafe-fixes`: what the fixes write, and what they refuse to."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Edit, Finding, Fix, Level
from dlint.lint.fix import FixError, choose, fix_text, verify, write_atomic
from dlint.lint.registry import all_rules
from dlint.parsing.dockerfile import parse

CORE = Selection(frozenset({"DLT001", "DL3009", "DLT002", "DLT003"}))
FIXABLE = sorted(code for code, r in all_rules().items() if r.fixable)


def fixed(text: str, unsafe: bool = False, selection: Selection = CORE) -> str:
    result, _, _ = fix_text(text, "Dockerfile", selection, unsafe)
    assert result.error is None, result.error
    return result.text


def codes(text: str, selection: Selection = CORE) -> list[str]:
    return [f.code for f in lint(parse(text), selection)[0]]


def dlint(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "dlint", *args], input=stdin, capture_output=True, cwd=cwd,
                          timeout=120, check=False)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc


# --- every fixable rule's page -------------------------------------------------------------------


@pytest.mark.parametrize("code", FIXABLE)
def test_bad_examples_become_good_and_stay_so(code):
    rule = all_rules()[code]
    only = Selection(frozenset({code}))
    goods = rule.examples("Good")
    changed = 0
    for bad in rule.examples("Bad"):
        unfixable = all(f.fix is None for f in lint(parse(bad), only)[0] if f.code == code)
        after = fixed(bad, unsafe=True, selection=only)
        changed += after != bad
        left = [f for f in lint(parse(after), only)[0] if f.code == code]
        assert after in goods or not left or unfixable, f"{code} fix of\n{bad}gave\n{after}"
        assert all(f.fix is None for f in left), after
        assert fixed(after, unsafe=True, selection=only) == after  # a second --fix changes nothing
    assert changed, f"{code} is marked fixable but no Bad example of its page gets fixed"


# --- DL3009: the cleanup follows the RUN's style ----------------------------------------------------

DL3009_STYLES = [
    pytest.param(
        "FROM debian\nRUN apt-get update && apt-get install -y curl\n",
        "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
        id="one-line",
    ),
    pytest.param(
        "FROM debian\nRUN apt-get update \\\n && apt-get install -y curl\n",
        "FROM debian\nRUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n",
        id="leading-operators",
    ),
    pytest.param(
        "FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl\n",
        "FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n    rm -rf /var/lib/apt/lists/*\n",
        id="trailing-operators",
    ),
    pytest.param(  # only packages continue the RUN: Docker's docs layout
        "FROM debian\nRUN apt-get update && apt-get install -y \\\n  curl \\\n  xdm\n",
        "FROM debian\nRUN apt-get update && apt-get install -y \\\n  curl \\\n  xdm \\\n"
        "  && rm -rf /var/lib/apt/lists/*\n",
        id="one-package-per-line",
    ),
    pytest.param(
        "FROM debian\nRUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y \\\n\t\tcurl \\\n\t;\n",
        "FROM debian\nRUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y \\\n\t\tcurl \\\n\t; \\\n"
        "\trm -rf /var/lib/apt/lists/*\n",
        id="set-e-semicolons",
    ),
    pytest.param(
        "FROM debian\nRUN set -e; apt-get update; apt-get install -y curl\n",
        "FROM debian\nRUN set -e; apt-get update; apt-get install -y curl; rm -rf /var/lib/apt/lists/*\n",
        id="set-e-one-line",
    ),
    pytest.param(  # without set -e, `; rm` would hide a failed install: && keeps the exit status
        "FROM debian\nRUN apt-get update; apt-get install -y curl\n",
        "FROM debian\nRUN apt-get update; apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
        id="semicolons-without-set-e",
    ),
    pytest.param(
        "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y curl\nEOF\n",
        "FROM debian\nRUN <<EOF\nset -e\napt-get update\napt-get install -y curl\nrm -rf /var/lib/apt/lists/*\nEOF\n",
        id="heredoc-set-e",
    ),
    pytest.param(
        "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        "FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl && rm -rf /var/lib/apt/lists/*\nEOF\n",
        id="heredoc-without-set-e",
    ),
    pytest.param(
        "FROM debian\nRUN <<-EOF bash\n\tset -ex\n\tapt-get update\n\tapt-get install -y curl\n\tEOF\n",
        "FROM debian\nRUN <<-EOF bash\n\tset -ex\n\tapt-get update\n\tapt-get install -y curl\n"
        "\trm -rf /var/lib/apt/lists/*\n\tEOF\n",
        id="heredoc-to-bash",
    ),
    pytest.param(
        "FROM debian\nRUN apt-get update -qq >/dev/null && apt-get install -y curl >/dev/null 2>&1\n",
        "FROM debian\nRUN apt-get update -qq >/dev/null && apt-get install -y curl >/dev/null 2>&1 "
        "&& rm -rf /var/lib/apt/lists/*\n",
        id="after-redirections",
    ),
    pytest.param(
        "FROM debian\nRUN apt-get update && apt-get install -y curl && apt-get clean\n"
        "RUN rm -rf /var/lib/apt/lists/*\n",
        "FROM debian\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n",
        id="later-removal-moves-here",
    ),
    pytest.param(
        "FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN apt-get clean \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n\n# next\nCMD [\"curl\"]\n",
        "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get clean\n\n# next\nCMD [\"curl\"]\n",
        id="later-removal-taken-out-of-its-list",
    ),
]


@pytest.mark.parametrize("before,after", DL3009_STYLES)
def test_lists_removal_is_appended_in_the_runs_style(before, after):
    assert fixed(before) == after
    assert "DL3009" not in codes(after)


NOT_FIXABLE_DL3009 = [
    pytest.param('FROM debian\nRUN ["apt-get", "update"]\n', id="exec-form"),
    pytest.param("FROM debian\nRUN apt-get update && if true; then apt-get install -y curl; fi\n", id="ends-in-if"),
    pytest.param("FROM debian\nRUN sh -c 'apt-get update && apt-get install -y curl'\n", id="quoted-sh-c"),
    pytest.param(  # removing the lists here would break the later install
        "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n", id="later-install"
    ),
    pytest.param(
        "FROM debian AS base\nRUN apt-get update && apt-get install -y a\nFROM base\nRUN apt-get install -y b\n",
        id="install-in-a-stage-built-from-it",
    ),
    pytest.param(  # `rm -r` of a missing glob fails: it cannot stay behind
        "FROM debian\nRUN apt-get update && apt-get install -y a\nRUN rm -r /var/lib/apt/lists/* /tmp/x\n",
        id="later-unforced-removal",
    ),
]


@pytest.mark.parametrize("text", NOT_FIXABLE_DL3009)
def test_lists_removal_is_left_to_the_user_when_unsure(text):
    finding = next(f for f in lint(parse(text), CORE)[0] if f.code == "DL3009")
    assert finding.fix is None
    assert fixed(text, unsafe=True).count("rm -rf /var/lib/apt/lists") == text.count("rm -rf /var/lib/apt/lists")


# --- DLT001: the update moves into the RUN that installs ---------------------------------------------


def test_lone_update_moves_into_the_next_install_and_its_run_goes():
    text = ("FROM debian\n# refresh\nRUN apt-get update\n# install\n"
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\n")
    assert fixed(text) == (
        "FROM debian\n# refresh\n# install\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
        "curl \\\n && rm -rf /var/lib/apt/lists/*\n"
    )


def test_update_keeps_its_options_and_leaves_the_rest_of_its_run():
    text = ("FROM debian\nRUN echo 'deb http://x y z' > /etc/apt/sources.list && apt-get update -qq\n"
            "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")
    assert fixed(text) == ("FROM debian\nRUN echo 'deb http://x y z' > /etc/apt/sources.list\n"
                           "RUN apt-get update -qq && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")


def test_update_already_in_the_installing_run_just_goes():
    text = ("FROM debian\nRUN apt-get update\n"
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")
    assert fixed(text) == "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"


def test_moving_past_other_runs_is_unsafe():
    text = ("FROM debian\nRUN apt-get update\nRUN ./setup.sh\n"
            "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")
    finding = next(f for f in lint(parse(text), CORE)[0] if f.code == "DLT001")
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text) == text
    assert fixed(text, unsafe=True) == (
        "FROM debian\nRUN ./setup.sh\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM debian\nRUN apt-get update\n", id="nothing-installs-later"),
        pytest.param("FROM debian\nRUN apt-get update\nFROM debian\nRUN apt-get install -y curl\n", id="other-stage"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN yes | apt-get install curl\n", id="install-in-pipeline"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN false || apt-get install -y curl\n", id="install-after-or"),
        pytest.param(
            "FROM debian\nRUN --mount=type=secret,id=proxy apt-get update\nRUN apt-get install -y curl\n",
            id="mount-the-install-lacks",
        ),
    ],
)
def test_update_stays_when_moving_it_is_unsure(text):
    finding = next(f for f in lint(parse(text), CORE)[0] if f.code == "DLT001")
    assert finding.fix is None


# --- DLT002 / DLT003: package words ------------------------------------------------------------------


def test_sort_keeps_pins_options_variables_and_one_package_per_line():
    text = ("FROM debian\nRUN apt-get update && apt-get install -y \\\n    zlib1g=1:1.2 \\\n    $EXTRA \\\n"
            "    --no-install-recommends \\\n    curl \\\n    Bash \\\n && rm -rf /var/lib/apt/lists/*\n")
    assert fixed(text) == ("FROM debian\nRUN apt-get update && apt-get install -y \\\n    Bash \\\n    $EXTRA \\\n"
                           "    --no-install-recommends \\\n    curl \\\n    zlib1g=1:1.2 \\\n"
                           " && rm -rf /var/lib/apt/lists/*\n")


def test_sort_leaves_packages_with_comment_lines_between_them():
    text = ("FROM alpine\nRUN apk add --no-cache \\\n    zlib \\\n# for TLS\n    curl\n")
    assert next(f for f in lint(parse(text), CORE)[0] if f.code == "DLT002").fix is None


def test_duplicates_go_with_the_space_before_them():
    text = "FROM alpine\nRUN apk add --no-cache \\\n    curl \\\n    git \\\n    curl \\\n    vim\n"
    assert fixed(text) == "FROM alpine\nRUN apk add --no-cache \\\n    curl \\\n    git \\\n    vim\n"


def test_differently_spelled_duplicate_needs_unsafe_fixes():
    text = "FROM alpine\nRUN apk add --no-cache curl curl=8.5.0-r0\n"
    assert fixed(text) == text
    assert fixed(text, unsafe=True) == "FROM alpine\nRUN apk add --no-cache curl\n"


def test_fixes_that_touch_the_same_words_settle_over_passes():
    text = "FROM debian\nRUN apt-get update && apt-get install -y c b a b && rm -rf /var/lib/apt/lists/*\n"
    result, left, _ = fix_text(text, "Dockerfile", CORE)
    assert result.text == "FROM debian\nRUN apt-get update && apt-get install -y a b c && rm -rf /var/lib/apt/lists/*\n"
    assert result.fixed == 2 and not left


# --- the engine ----------------------------------------------------------------------------------------


def finding(code: str, *edits: Edit, safe: bool = True) -> Finding:
    return Finding("f", 1, 1, 1, 1, code, code.lower(), Level.STYLE, "m", fix=Fix(edits, safe=safe))


def test_choose_takes_fixes_that_stay_apart_and_counts_shared_ones():
    a = finding("A", Edit(0, 2, "x"))
    b = finding("B", Edit(2, 4, "y"))  # touches a: waits for the next pass
    c = finding("C", Edit(10, 10, "z"))
    d = Finding("f", 1, 1, 1, 1, "D", "d", Level.STYLE, "m", fix=c.fix)  # the same fix, found twice
    unsafe = finding("E", Edit(20, 21, ""), safe=False)
    fixes, count = choose([b, a, c, d, unsafe], unsafe=False)
    assert fixes == [a.fix, c.fix] and count == 3
    assert choose([unsafe], unsafe=True)[0] == [unsafe.fix]


def test_verify_rejects_a_fix_that_merges_instructions():
    before = parse("FROM debian\nRUN a \\\n && b\n\n# c\nCMD x\n")
    cut = before.text.index(" \\\n && b")
    edits = [Edit(cut + 3, before.text.index("b\n") + 1, "")]  # leaves `RUN a \` continued into CMD
    after = parse(before.text[: edits[0].start] + before.text[edits[0].end :])
    assert "from FROM RUN CMD to FROM RUN" in verify(before, after, edits)


def test_a_fix_that_fails_the_check_leaves_the_file_and_reports(monkeypatch, tmp_path):
    text = "FROM debian\nRUN a \\\n && b\nCMD x\n"
    broken = finding("DLT002", Edit(text.index(" && b"), text.index("b\n") + 1, ""))
    import dlint.lint.fix as fix_module

    monkeypatch.setattr(fix_module, "lint", lambda df, selection: ([broken], []) if df.text == text else ([], []))
    result, left, _ = fix_text(text, "Dockerfile", CORE)
    assert result.text == text and not result.changed
    assert "fixing DLT002 would change the instructions" in result.error and left == [broken]


# --- files: what is written, and when not ----------------------------------------------------------------

BAD = "FROM debian\nRUN apt-get update\nRUN apt-get install -y wget curl && rm -rf /var/lib/apt/lists/*\n"
GOOD = "FROM debian\nRUN apt-get update && apt-get install -y curl wget && rm -rf /var/lib/apt/lists/*\n"
CORE_ARGS = ("--isolated", "--select", "DLT001,DL3009,DLT002,DLT003")


def test_fix_rewrites_in_place_keeping_crlf_bom_mode_and_symlink(tmp_path):
    real = tmp_path / "Dockerfile.real"
    real.write_bytes(b"\xef\xbb\xbf" + BAD.replace("\n", "\r\n").encode())
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    proc = dlint("check", "--fix", *CORE_ARGS, str(link))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().strip() == "dlint: fixed 2 findings, no findings left in 1 file"
    assert link.is_symlink()
    assert real.read_bytes() == b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile", "Dockerfile.real"]  # no temporary left


def test_fix_keeps_a_missing_final_newline_and_crlf_in_new_lines(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian\r\nRUN apt-get update \\\r\n && apt-get install -y curl")
    assert dlint("check", "--fix", *CORE_ARGS, str(path)).returncode == 0
    assert path.read_bytes() == (b"FROM debian\r\nRUN apt-get update \\\r\n && apt-get install -y curl \\\r\n"
                                 b" && rm -rf /var/lib/apt/lists/*")


def test_nothing_to_fix_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino
    proc = dlint("check", "--fix", *CORE_ARGS, str(path))
    assert proc.returncode == 0
    assert proc.stderr.decode().strip() == "dlint: fixed 0 findings, no findings left in 1 file"
    assert path.stat().st_mtime_ns == 1_000_000_000 and path.stat().st_ino == inode


def test_write_refuses_a_file_changed_since_it_was_read(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD + "# edited meanwhile\n")
    with pytest.raises(FixError, match="changed while dlint was fixing it"):
        write_atomic(str(path), BAD, GOOD)
    assert path.read_text() == BAD + "# edited meanwhile\n"


def test_an_interrupted_write_leaves_the_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(str(path), BAD, GOOD)
    assert path.read_text() == BAD and os.listdir(tmp_path) == ["Dockerfile"]


def test_diff_prints_a_patch_and_writes_nothing(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)
    proc = dlint("check", "--diff", *CORE_ARGS, "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.decode() == (
        "--- Dockerfile\n+++ Dockerfile\n@@ -1,3 +1,2 @@\n FROM debian\n-RUN apt-get update\n"
        "-RUN apt-get install -y wget curl && rm -rf /var/lib/apt/lists/*\n+" + GOOD.splitlines()[1] + "\n"
    )
    assert proc.stderr.decode().strip() == "dlint: would fix 2 findings, no findings left in 1 file"
    assert path.read_text() == BAD
    patched = subprocess.run(["patch", "-p0", "--dry-run"], input=proc.stdout, cwd=tmp_path, capture_output=True)
    assert patched.returncode == 0, patched.stderr


def test_diff_still_writes_reports_asked_for_in_files(tmp_path):
    path, stuck = tmp_path / "Dockerfile", tmp_path / "stuck.Dockerfile"
    path.write_text(BAD)  # every core finding here has a fix
    stuck.write_text("FROM debian\nRUN apt-get update\n")  # DL3009 and DLT001 with nowhere to go
    report = tmp_path / "left.json"
    proc = dlint("check", "--diff", *CORE_ARGS, "--format", "json", "--output", str(report), str(path), str(stuck))
    assert proc.returncode == 1 and proc.stdout.startswith(f"--- {path}".encode())
    assert path.read_text() == BAD  # --diff writes no Dockerfile
    left = json.loads(report.read_text())
    assert sorted((f["file"], f["code"]) for f in left) == [(str(stuck), "DL3009"), (str(stuck), "DLT001")]


def test_diff_exits_zero_when_nothing_would_change(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian\nRUN apt-get update\n")  # DLT001 with nowhere to move: not fixable
    proc = dlint("check", "--diff", *CORE_ARGS, str(path))
    assert proc.returncode == 0 and proc.stdout == b""


def test_fix_on_stdin_prints_the_fixed_text_and_reports_on_stderr():
    proc = dlint("check", "--fix", *CORE_ARGS, "-", stdin=BAD.encode())
    assert proc.returncode == 0
    assert proc.stdout.decode() == GOOD
    unfixable = dlint("check", "--fix", *CORE_ARGS, "-", stdin=b"FROM debian\nRUN apt-get update\n")
    assert unfixable.returncode == 1 and unfixable.stdout == b"FROM debian\nRUN apt-get update\n"
    # with the text on stdout, the findings left go to stderr, before the summary
    assert [line.split(" [")[0] for line in unfixable.stderr.decode().splitlines()] == [
        "-:2:5: DL3009", "-:2:5: DLT001", "dlint: fixed 0 findings, 2 findings (2 warning) left in 1 file, 0 fixable",
    ]


def test_fix_on_stdin_keeps_a_byte_order_mark_as_a_file_fix_does():
    """An editor piping its buffer through `dlint check --fix -` gets it back with the BOM it sent."""
    proc = dlint("check", "--fix", *CORE_ARGS, "-", stdin=b"\xef\xbb\xbf" + BAD.encode())
    assert proc.returncode == 0
    assert proc.stdout == b"\xef\xbb\xbf" + GOOD.encode()
    diff = dlint("check", "--diff", *CORE_ARGS, "-", stdin=b"\xef\xbb\xbf" + BAD.encode())
    assert diff.returncode == 1 and diff.stdout.startswith(b"--- -\n+++ -\n")


def test_unsafe_fixes_opt_in(tmp_path):
    path = tmp_path / "Dockerfile"
    text = "FROM alpine\nRUN apk add --no-cache curl curl=8.5.0-r0\n"
    path.write_text(text)
    assert dlint("check", "--fix", *CORE_ARGS, str(path)).returncode == 1
    assert path.read_text() == text
    assert dlint("check", "--fix", "--unsafe-fixes", *CORE_ARGS, str(path)).returncode == 0
    assert path.read_text() == "FROM alpine\nRUN apk add --no-cache curl\n"


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine\nRUN apk add --no-cache curl curl=8.5.0-r0\n")
    proc = dlint("check", "--unsafe-fixes", str(path))
    assert proc.returncode == 2 and b"--fix or --diff" in proc.stderr and proc.stdout == b""


def test_second_fix_changes_nothing_with_every_rule(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:bookworm-slim\nRUN apt-get update\nRUN apt-get install -y zlib1g curl curl\n"
                    "ADD app.tar /srv/\nMAINTAINER someone\n")
    fix = dlint("check", "--fix", "--unsafe-fixes", "--isolated", str(path))
    assert fix.returncode == 1  # DL3008 (unpinned packages) has no fix and stays
    assert fix.stderr.decode() == "dlint: fixed 6 findings, 1 finding (1 warning) left in 1 file, 0 fixable\n"
    first = path.read_bytes()
    assert first == (b"FROM debian:bookworm-slim\n"
                     b"RUN apt-get update && apt-get install --no-install-recommends -y curl zlib1g"
                     b" && rm -rf /var/lib/apt/lists/*\n"
                     b"ADD app.tar /srv/\n"  # a local tar is unpacked by ADD: not a COPY
                     b'LABEL maintainer="someone"\n')
    proc = dlint("check", "--diff", "--unsafe-fixes", "--isolated", str(path))
    assert proc.returncode == 0 and proc.stdout == b""
    assert path.read_bytes() == first
