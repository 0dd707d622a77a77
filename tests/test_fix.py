"""`dlint check --fix` / `--diff` / `--unsafe-fixes`: what the fixes write, and what they refuse to."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dlint.lint.checks.operands import pairs
from dlint.lint.context import Context
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
    # The SHELL's -e reaches neither a body run as a file by its #! line nor one fed to another shell: a new
    # line there would run after a failed install and hide it.
    pytest.param(
        'FROM debian\nSHELL ["/bin/bash", "-e", "-c"]\nRUN <<EOF\n#!/bin/sh\napt-get update\napt-get install -y curl\nEOF\n',
        'FROM debian\nSHELL ["/bin/bash", "-e", "-c"]\nRUN <<EOF\n#!/bin/sh\napt-get update\n'
        "apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nEOF\n",
        id="heredoc-with-a-shebang-under-a-set-e-shell",
    ),
    pytest.param(
        'FROM debian\nSHELL ["/bin/bash", "-e", "-c"]\nRUN bash <<EOF\napt-get update\napt-get install -y curl\nEOF\n',
        'FROM debian\nSHELL ["/bin/bash", "-e", "-c"]\nRUN bash <<EOF\napt-get update\n'
        "apt-get install -y curl && rm -rf /var/lib/apt/lists/*\nEOF\n",
        id="heredoc-fed-to-bash-under-a-set-e-shell",
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


def test_a_later_removal_that_also_removes_another_runs_lists_stays():
    # The last RUN removes the second RUN's lists too (its own DL3009 fix is left to the user): it must stay,
    # or the image would keep them.
    text = ("FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "RUN apt-get update && apt-get install -y b && if true; then echo; fi\nRUN rm -rf /var/lib/apt/lists/*\n")
    assert fixed(text) == text.replace("-y a\n", "-y a && rm -rf /var/lib/apt/lists/*\n", 1)


@pytest.mark.parametrize("before,after", DL3009_STYLES)
def test_lists_removal_is_appended_in_the_runs_style(before, after):
    assert fixed(before) == after
    assert "DL3009" not in codes(after)


@pytest.mark.parametrize("before", [
    "(set -e)", "f() { set -e; }", 'sh -c "set -e"', "if [ -n \"$CI\" ]; then set -e; fi", "false && set -e",
    "set -e | true", "set -- -e", "set x -e", "set -e; if [ -n \"$CI\" ]; then set +e; fi",
])
def test_a_set_e_that_may_not_reach_the_runs_shell_is_no_errexit(before):
    # `; rm` after the install would run after a failed install and hide it: these leave errexit off.
    text = f"FROM debian\nRUN {before}; apt-get update; apt-get install -y curl\n"
    assert fixed(text) == text.replace(" curl\n", " curl && rm -rf /var/lib/apt/lists/*\n")


def test_a_set_e_of_the_runs_own_shell_is_errexit():
    text = "FROM debian\nRUN set -x -o errexit; apt-get update; apt-get install -y curl\n"
    assert fixed(text) == text.replace(" curl\n", " curl; rm -rf /var/lib/apt/lists/*\n")


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
    # Later readers of the lists dlint must assume: every child build's trigger, other apt subcommands that
    # need them, an apt program handed to another, and scripts dlint cannot see into.
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nONBUILD RUN apt-get install -y git\n",
                 id="onbuild-install"),
    pytest.param("FROM debian AS b\nRUN apt-get update && apt-get install -y a\nFROM b\nONBUILD RUN apt install x\n",
                 id="onbuild-install-in-a-stage-built-from-it"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN xargs apt-get install -y < /p.txt\n",
                 id="xargs"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN timeout 60 /usr/bin/apt-get install x\n",
                 id="behind-timeout"),
    pytest.param('FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get satisfy -y "libc6 (>= 2.30)"\n',
                 id="satisfy"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-get download hello\n",
                 id="download"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN apt-cache policy a\n", id="apt-cache"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN ./setup.sh\n"
                 "RUN rm -rf /var/lib/apt/lists/*\n", id="script-before-the-removal"),
    pytest.param("FROM debian AS b\nRUN apt-get update && apt-get install -y a\nFROM b\nRUN bash /opt/install\n",
                 id="shell-runs-a-file"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nCOPY . .\nRUN make deps\n", id="make"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN . /etc/profile.d/x.sh && go build\n",
                 id="sourced-script"),
    # An update that may not run, or refreshes some sources only, is no refresh for what follows it:
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN false && apt-get update; apt-get install b && rm -rf /var/lib/apt/lists/*\n",
                 id="update-after-and"),
    pytest.param('FROM debian\nRUN apt-get update && apt-get install -y a\n'
                 'RUN if [ -n "$X" ]; then apt-get update; fi; apt-get install -y b && rm -rf /var/lib/apt/lists/*\n',
                 id="update-in-a-branch"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\n"
                 "RUN apt-get update -o Dir::Etc::sourcelist=x.list && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n",
                 id="partial-update"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN rosdep install --from-paths src -y\n",
                 id="rosdep"),
    pytest.param('FROM debian\nRUN apt-get update && apt-get install -y a\nRUN su root -c "apt-get install -y b"\n',
                 id="su-c"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN python3 /setup.py\n", id="interpreter"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nRUN install-deps.sh\n", id="script-on-path"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nCOPY tools/install-deps /usr/local/bin/\n"
                 "RUN install-deps\n", id="a-copied-program-run-by-name"),
    pytest.param("FROM debian\nCOPY setup /usr/bin/provision\nRUN apt-get update && apt-get install -y a\nRUN provision\n",
                 id="a-program-copied-under-another-name"),
    # A directory's (or a glob's) contents copied onto PATH: the names it brings are not in the Dockerfile.
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nCOPY scripts/ /usr/local/bin/\n"
                 "RUN install-deps\n", id="a-directory-copied-onto-path"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nCOPY bin/install-* /usr/bin/\n"
                 "RUN install-deps\n", id="a-glob-copied-onto-path"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\nCOPY rootfs/ /\n"
                 "RUN install-deps\n", id="a-root-filesystem-copied"),
    # A heredoc copied to a directory is the file named by its word (BuildKit): /usr/local/bin/install-deps.
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\n"
                 "COPY --chmod=755 <<install-deps /usr/local/bin/\napt-get install -y b\ninstall-deps\n"
                 "RUN install-deps\n", id="a-heredoc-copied-by-its-name"),
    pytest.param('FROM debian\nENV INSTALL="apt-get install -y"\nRUN apt-get update && apt-get install -y a\nRUN $INSTALL b\n',
                 id="program-from-a-variable"),
    pytest.param("FROM debian\nRUN apt-get update && apt-get install -y a\n"
                 "RUN APT_CONFIG=/p.conf apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n",
                 id="update-with-another-config"),
    pytest.param("FROM ubuntu\nRUN apt-get update && apt-get install -y a\nRUN nala install -y b\n",
                 id="nala"),
    # The lists go elsewhere: `rm -rf /var/lib/apt/lists/*` would remove other RUNs' lists and leave these.
    pytest.param("FROM debian\nRUN apt-get -o Dir::State::Lists=/l update && apt-get -o Dir::State::Lists=/l install -y a\n",
                 id="lists-in-another-directory"),
    pytest.param("FROM debian\nRUN apt-get -oDir=/rootfs update && apt-get -oDir=/rootfs install -y a\n",
                 id="another-root"),
    pytest.param("FROM debian\nRUN APT_CONFIG=/x.conf apt-get update && APT_CONFIG=/x.conf apt-get install -y a\n",
                 id="another-config"),
    pytest.param("FROM debian\nRUN apt-get -c /x.conf update && apt-get -c /x.conf install -y a\n",
                 id="another-config-file"),
    pytest.param("FROM debian\nENV APT_CONFIG=/x.conf\nRUN apt-get update && apt-get install -y a\n",
                 id="another-config-in-an-env"),
    pytest.param("FROM debian\nARG APT_CONFIG\nRUN apt-get update && apt-get install -y a\n",
                 id="another-config-as-a-build-arg"),
    pytest.param("FROM ubuntu\nRUN apt-get update && apt-get install -y a\nRUN sudo apt-fast install -y b\n",
                 id="apt-fast"),
]


@pytest.mark.parametrize("copy", ["RUN useradd app\nCOPY rootfs/ /\n", "COPY *.txt /\nRUN useradd app\n"],
                         ids=["a-directory-copied-after", "a-glob-it-does-not-match"])
def test_a_copy_onto_path_keeps_the_removal_fix_for_what_it_cannot_have_brought(copy):
    text = f"FROM debian\nRUN apt-get update && apt-get install -y a\n{copy}"
    assert "rm -rf /var/lib/apt/lists/*" in fixed(text)


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


def test_update_moves_past_inert_instructions_into_a_run_with_a_cache_mount():
    text = ("FROM debian\nRUN apt-get update\nLABEL a=b\nEXPOSE 80\n"
            "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y curl\n")
    assert fixed(text, selection=Selection(frozenset({"DLT001"}))) == ("FROM debian\nLABEL a=b\nEXPOSE 80\n"
                           "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n")


def test_moving_past_other_runs_is_unsafe():
    text = ("FROM debian\nRUN apt-get update\nRUN ./setup.sh\n"
            "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n")
    finding = next(f for f in lint(parse(text), CORE)[0] if f.code == "DLT001")
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text) == text
    assert fixed(text, unsafe=True) == (
        "FROM debian\nRUN ./setup.sh\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    )


WITH_DL3015 = Selection(frozenset({"DLT001", "DL3009", "DL3015"}))
INSTALL = "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"


def suppressed(text: str, selection: Selection) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in lint(parse(text), selection)[0] if f.suppressed]


@pytest.mark.parametrize("above", [
    "# hadolint ignore=DL3015\n",
    "# dlint ignore=DL3015,DL3008\n",
    "# hadolint ignore=DL3015\n# dlint ignore=DL3059 # two pragmas\n",
    "# hadolint ignore=DL3015\n\n# refresh the lists\n\n",
])
def test_a_deleted_update_run_takes_its_pragmas_along(above):
    # Left behind, `ignore=DL3015` silenced the install RUN's own DL3015, which nobody had asked for.
    text = f"FROM debian\n{above}RUN apt-get update\n{INSTALL}"
    assert not fixed(text, selection=WITH_DL3015).count("apt-get update &&")  # unsafe: the silence cannot follow
    after = fixed(text, unsafe=True, selection=Selection(frozenset({"DLT001"})))
    assert "ignore" not in after and after.count("RUN") == 1
    assert ("# refresh the lists" in after) == ("# refresh the lists" in above)  # a plain comment stays
    assert codes(after, WITH_DL3015) == ["DL3015"] and not suppressed(after, WITH_DL3015)


def test_an_update_runs_pragma_for_another_rule_makes_the_move_unsafe():
    # The user silenced DL3009 for the update: moved, it would have --fix append the removal after all.
    text = "FROM debian\n# hadolint ignore=DL3009\nRUN apt-get update\nRUN apt-get install -y curl\n"
    finding = next(f for f in lint(parse(text), CORE)[0] if f.code == "DLT001")
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text) == text


def test_a_global_or_shell_pragma_above_a_deleted_run_stays():
    pragmas = "FROM debian\n# dlint global ignore=DL3015\n# dlint shell=bash\n"
    after = fixed(f"{pragmas}RUN apt-get update\n{INSTALL}", unsafe=True, selection=Selection(frozenset({"DLT001"})))
    assert after == f"{pragmas}RUN apt-get update && {INSTALL[4:]}"


def test_a_deleted_removal_run_takes_its_pragmas_along():
    # DL3009 moves the later `rm` up and deletes its RUN: its `ignore=DL3013` silenced the pip RUN after it.
    text = ("FROM debian\nRUN apt-get update && apt-get install -y curl\n# dlint ignore=DL3013\n\n"
            "# remove the lists\n# hadolint ignore=DL3042\nRUN rm -rf /var/lib/apt/lists/*\nRUN pip install flask\n")
    selection = Selection(frozenset({"DL3009", "DL3013", "DL3042"}))
    after = fixed(text, selection=Selection(frozenset({"DL3009"})))
    assert after == ("FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n\n"
                     "# remove the lists\nRUN pip install flask\n")
    assert sorted(codes(after, selection)) == ["DL3013", "DL3042"] and not suppressed(after, selection)


@pytest.mark.parametrize("target", ["/var/lib/apt", "/var/lib/apt/lists/"])
def test_moving_into_a_run_whose_cache_mount_hides_the_lists_is_unsafe(target):
    # The moved update writes the lists into the cache, not the layer: the last RUN, which installs
    # from the layer's lists, would find none.
    text = (f"FROM debian\nRUN apt-get update\nRUN --mount=type=cache,target={target} apt-get install -y curl\n"
            "RUN apt-get install -y wget\n")
    selection = Selection(frozenset({"DLT001"}))
    finding = next(f for f in lint(parse(text), selection)[0] if f.code == "DLT001")
    assert finding.fix is not None and not finding.fix.safe
    assert fixed(text, selection=selection) == text


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
        # The moved update would run otherwise than it did, or not at all:
        pytest.param('FROM debian\nRUN ["apt-get", "update"]\nRUN apt-get install -y curl\n', id="exec-form-update"),
        pytest.param('FROM debian\nARG DEV=\nRUN apt-get update\n'
                     'RUN if [ -n "$DEV" ]; then apt-get install -y gdb; fi; apt-get install -y curl\n',
                     id="first-install-in-a-branch"),
        pytest.param('FROM debian\nRUN apt-get update\nRUN i() { apt-get install -y "$@"; }; apt-get install -y curl\n',
                     id="first-install-in-a-function"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN for p in a b; do apt-get install -y $p; done\n",
                     id="first-install-in-a-loop"),
        pytest.param("FROM debian\nRUN if true; then apt-get update; fi\nRUN apt-get install -y curl\n",
                     id="update-in-a-branch"),
        pytest.param("FROM debian\nRUN apt-get update\nUSER nobody\nRUN apt-get install -y curl\n", id="user-between"),
        pytest.param("FROM debian\nRUN apt-get update\nENV http_proxy=http://p:3128\nRUN apt-get install -y curl\n",
                     id="env-between"),
        pytest.param("FROM debian\nRUN apt-get update\nARG APT_MIRROR\nRUN apt-get install -y curl\n", id="arg-between"),
        pytest.param("FROM debian\nRUN apt-get update\nCOPY x.list /etc/apt/sources.list.d/\n"
                     "RUN apt-get install -y curl\n", id="copy-between"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN --network=none apt-get install -y curl\n",
                     id="install-without-network"),
        pytest.param("FROM debian\nRUN apt-get update > /tmp/update.log\nRUN apt-get install -y curl\n",
                     id="update-redirected"),
        pytest.param("FROM debian\nRUN apt-get update 2>/tmp/e && echo hi\nRUN apt-get install -y curl\n",
                     id="update-redirected-in-a-list"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN sudo apt-get install -y curl\n", id="install-behind-sudo"),
        pytest.param("FROM debian\nRUN apt-get update\n"
                     "RUN echo 'deb http://x y z' > /etc/apt/sources.list.d/x.list && apt-get install -y curl\n",
                     id="install-after-a-sources-list-is-written"),
        pytest.param("FROM debian\nRUN export http_proxy=http://p:3128 && apt-get update\nRUN apt-get install -y curl\n",
                     id="update-after-an-export"),
        pytest.param("FROM debian\nRUN cd /etc/apt && apt-get update\nRUN apt-get install -y curl\n", id="update-after-cd"),
        pytest.param("FROM debian\nRUN apt-get update\n"
                     "RUN --mount=type=secret,id=s,target=/etc/apt/sources.list.d/p.list apt-get install -y foo\n",
                     id="install-mounts-a-sources-list"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN --mount=type=cache,dst=/etc/apt/sources.list.d apt-get install x\n",
                     id="install-mounts-a-cache-on-etc-apt"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN apt-get install -y curl; echo done\n",
                     id="failed-update-would-not-fail-the-run"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN set -e; apt-get install -y curl; echo done\n",
                     id="set-e-ignores-a-failure-before-the-last-and"),
        pytest.param('FROM debian\nRUN apt-get update\nRUN [ -n "$REFRESH" ] && apt-get update; apt-get install -y x\n',
                     id="the-installs-own-update-may-not-run"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN apt-get update -o Dir::Etc::sourcelist=x.list "
                     "&& apt-get install -y x\n", id="the-installs-own-update-is-partial"),
        pytest.param("FROM debian\nRUN echo x > /etc/apt/apt.conf.d/99a && apt-get update && rm /etc/apt/apt.conf.d/99a\n"
                     "RUN apt-get install -y curl\n", id="what-follows-the-update-would-run-before-it"),
        pytest.param("FROM debian\nRUN apt-get update\nRUN --mount=type=cache,target=/usr/share/keyrings apt-get install x\n",
                     id="install-mounts-a-cache-over-keyrings"),
        pytest.param("FROM debian\nRUN exec 2>/u.err && apt-get update\nRUN apt-get install -y x\n", id="update-after-exec"),
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


@pytest.mark.parametrize("run", [
    'sh -c "apk add \\"b\\" a"',  # the file spells `"b"` as `\"b\"` inside the string
    '["sh", "-c", "apk add \\"b\\" a"]',
    '["sh", "-c", "apk add \\u0062 a"]',
    '["sh", "-c", "apk add a \\"a\\""]',
    '["sh", "-c", "apk add a \\u0061 b"]',
])
def test_package_words_spelt_with_escapes_of_an_outer_string_are_left(run):
    # Their offsets are not where the shell's words are: the sort and the drop wrote `\a "b\""` and
    # `["sh", "-c", "apk add a""]`, a string (and a JSON array) that no longer reads as it did.
    text = f"FROM alpine\nRUN {run}\n"
    assert fixed(text, unsafe=True, selection=Selection(frozenset({"DLT002", "DLT003"}))) == text


def test_package_words_in_an_exec_form_string_without_escapes_are_sorted():
    text = 'FROM alpine\nRUN ["sh", "-c", "apk add c b b a"]\n'
    assert fixed(text) == 'FROM alpine\nRUN ["sh", "-c", "apk add a b c"]\n'


def test_another_architecture_of_a_package_is_no_repeat():
    # Multiarch: `libvulkan1:i386` is a package of its own; the unsafe fix dropped it from the install.
    text = "FROM debian\nRUN apt-get install -y libc6:amd64 libc6:i386 libvulkan1 libvulkan1:i386\n"
    assert codes(text, Selection(frozenset({"DLT003"}))) == []
    assert codes("FROM debian\nRUN apt-get install -y libc6:i386 libc6:i386=2.36 curl curl=1:7.88\n",
                 Selection(frozenset({"DLT003"}))) == ["DLT003", "DLT003"]


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


def test_fix_does_not_write_through_a_symlink_out_of_its_directory(tmp_path):
    """A pull request's `Dockerfile -> ../outside/Dockerfile` must not have `dlint check --fix .` edit outside the checkout."""
    (tmp_path / "outside").mkdir()
    victim = tmp_path / "outside" / "Dockerfile"
    victim.write_text(BAD)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").symlink_to("../outside/Dockerfile")
    dlint("check", "--fix", *CORE_ARGS, ".", cwd=repo)  # a directory search does not even read it
    assert victim.read_text() == BAD
    proc = dlint("check", "--fix", *CORE_ARGS, "Dockerfile", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.decode().splitlines()[0] == (
        f"dlint: Dockerfile: a symbolic link to {victim}, outside its directory and the current one; not written "
        "(--force writes it)")
    assert victim.read_text() == BAD
    assert dlint("check", "--fix", "--force", *CORE_ARGS, "Dockerfile", cwd=repo).returncode == 0
    assert victim.read_text() == GOOD


def test_fix_writes_through_a_symlink_to_another_directory_of_the_checkout(tmp_path):
    """A monorepo's `services/a/Dockerfile -> ../../docker/Dockerfile`, named as pre-commit names it from the root."""
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text(BAD)
    (tmp_path / "services" / "a").mkdir(parents=True)
    (tmp_path / "services" / "a" / "Dockerfile").symlink_to("../../docker/Dockerfile")
    proc = dlint("check", "--fix", *CORE_ARGS, "services/a/Dockerfile", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "docker" / "Dockerfile").read_text() == GOOD
    assert (tmp_path / "services" / "a" / "Dockerfile").is_symlink()


def test_fix_in_a_tree_1800_directories_deep_is_no_hang(tmp_path):
    """Each write resolved the file's whole path, every directory above it again for every file (minutes)."""
    made = [tmp_path / "a"]
    for _ in range(1800):
        made[-1].mkdir()
        (made[-1] / "Dockerfile").write_text(BAD)
        made.append(made[-1] / "a")
    made.pop()
    try:
        proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--fix", *CORE_ARGS, "."], cwd=tmp_path,
                              capture_output=True, timeout=30, check=False)
        assert proc.returncode == 0, proc.stderr
        assert all((d / "Dockerfile").read_text() == GOOD for d in made)
    finally:  # bottom up: pytest's own clean-up (shutil.rmtree) recurses once per level
        for directory in reversed(made):
            for leftover in directory.iterdir():
                leftover.unlink()
            directory.rmdir()


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


def test_diff_escapes_a_dockerfiles_control_characters_but_keeps_tabs_and_crlf(tmp_path):
    """A hostile Dockerfile's ESC sequences must not reach the terminal or CI log --diff prints to."""
    (tmp_path / "Dockerfile").write_bytes(b'FROM debian\nRUN echo "\x1b]0;pwned\x07\x1b[2J" \\\n'
                                          b' && apt-get update && apt-get install -y curl\n')
    out = dlint("check", "--diff", "--select", "DL3009", "Dockerfile", cwd=tmp_path).stdout
    assert b"\x1b" not in out and b"\x07" not in out
    assert b' RUN echo "\\x1b]0;pwned\\x07\\x1b[2J" \\\n' in out
    (tmp_path / "Dockerfile").write_bytes(b"FROM debian\r\nRUN apt-get update && apt-get install -y\tcurl\r\n")
    out = dlint("check", "--diff", "--select", "DL3009", "Dockerfile", cwd=tmp_path).stdout
    assert b"+RUN apt-get update && apt-get install -y\tcurl && rm -rf /var/lib/apt/lists/*\r\n" in out
    patched = subprocess.run(["patch", "-p0", "--dry-run"], input=out, cwd=tmp_path, capture_output=True)
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


HOSTILE = "\ufeffFROM debian\r\nLABEL title=\"\x1b]0;pwned\x07\tx\"\r\n" + BAD.replace("\n", "\r\n").split("\r\n", 1)[1]


def fix_on_a_terminal(stdin: bytes) -> tuple[subprocess.CompletedProcess, bytes]:
    """`dlint check --fix -` with stdout a terminal (raw: no CRLF added); what the terminal received."""
    import pty
    import tty

    main, secondary = pty.openpty()
    tty.setraw(secondary)
    try:
        proc = subprocess.run([sys.executable, "-m", "dlint", "check", "--fix", *CORE_ARGS, "-"], input=stdin,
                              stdout=secondary, stderr=subprocess.PIPE, timeout=120, check=False)
        os.close(secondary)
        secondary = -1
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the writer's side is closed and all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
        if secondary >= 0:
            os.close(secondary)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return proc, shown


def test_fix_on_stdin_to_a_pipe_is_byte_exact_even_with_control_characters():
    proc = dlint("check", "--fix", *CORE_ARGS, "-", stdin=HOSTILE.encode())
    assert proc.returncode == 0
    assert proc.stdout.decode() == HOSTILE.split("RUN")[0] + GOOD.split("\n", 1)[1].replace("\n", "\r\n")
    assert b"terminal" not in proc.stderr


def test_fix_on_stdin_to_a_terminal_escapes_control_characters():
    proc, shown = fix_on_a_terminal(HOSTILE.encode())
    assert proc.returncode == 0
    # Tabs and CRLF stay as a file needs them; ESC, BEL and the BOM arrive as text, and stderr says why.
    assert shown.decode() == ("\\ufeffFROM debian\r\nLABEL title=\"\\x1b]0;pwned\\x07\tx\"\r\n"
                              + GOOD.split("\n", 1)[1].replace("\n", "\r\n"))
    assert proc.stderr.decode().splitlines()[0] == (
        "dlint: stdout is a terminal: control characters in the fixed text are shown escaped (\\x1b); "
        "redirect it (> FILE, | CMD) for the exact text")
    clean, clean_shown = fix_on_a_terminal(BAD.encode())
    assert clean.returncode == 0 and clean_shown.decode() == GOOD and b"terminal" not in clean.stderr


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


# --- fixes left out where they would do more than their rule promises ----------------------------------


def only(code: str) -> Selection:
    return Selection(frozenset({code}))


@pytest.mark.parametrize("text", [
    pytest.param("FROM debian\nADD app.tar.gz config.txt /app/\n", id="an-archive-among-the-sources"),
    pytest.param("FROM debian\nADD https://example.com/a.txt local.txt /app/\n", id="a-url-among-the-sources"),
    pytest.param("FROM debian\nARG SRC=rootfs.tar.xz\nADD $SRC README /\n", id="a-variable-among-the-sources"),
    pytest.param("FROM debian\nADD dist/* /app/\n", id="a-wildcard-may-match-an-archive"),
    pytest.param("FROM debian\nADD conf/[ab].txt /app/\n", id="a-character-class"),
    pytest.param("FROM debian\nAD\\\nD a.txt /a.txt\n", id="a-keyword-split-by-a-continuation"),
])
def test_add_stays_add_when_copy_would_do_less(text):
    assert [f.fix for f in lint(parse(text), only("DL3020"))[0]] in ([], [None])
    assert fixed(text, unsafe=True, selection=only("DL3020")) == text


@pytest.mark.parametrize("source", ["pkg.gem", "image.ova", "rootfs", "bin/app"])
def test_add_of_a_file_whose_name_may_hide_a_tar_is_an_unsafe_fix(source):
    """ADD unpacks a local tar whatever its name: BuildKit looks at the content, which dlint does not see."""
    text = f"FROM debian\nADD {source} /x/\n"
    assert fixed(text, selection=only("DL3020")) == text
    assert fixed(text, unsafe=True, selection=only("DL3020")) == f"FROM debian\nCOPY {source} /x/\n"


@pytest.mark.parametrize("add, copy", [("add", "copy"), ("ADD", "COPY"), ("Add", "COPY")])
def test_add_becomes_copy_in_the_files_own_case(add, copy):
    text = f"from debian\n{add} app.py /srv/\n"
    assert fixed(text, selection=only("DL3020")) == f"from debian\n{copy} app.py /srv/\n"


def test_add_of_a_git_source_in_scp_form_is_left():
    text = "FROM debian\nADD deploy@git.example.com:team/repo /src\n"
    assert codes(text, only("DL3020")) == []


def test_add_of_zstd_archive_is_not_a_local_file():
    assert codes("FROM debian\nADD rootfs.tar.zst /\n", only("DL3020")) == []


def test_add_of_local_files_and_directories_becomes_copy():
    assert fixed("FROM debian\nADD a.txt conf/ /app/\n", selection=only("DL3020")) == "FROM debian\nCOPY a.txt conf/ /app/\n"


@pytest.mark.parametrize("run,code", [
    ('sh -c "apt-get "install" -y curl"', "DL3015"),
    ("sh -c 'apt-get 'install' --no-install-recommends curl'", "DL3014"),
    ("sh -c apt-get\\ install\\ -y\\ curl", "DL3015"),
    ('sh -c "pip "install" flask"', "DL3042"),
    ('sh -c "gem "install" rails"', "DLR005"),
    ('sh -c "apk "add" curl"', "DL3019"),
])
def test_an_option_is_not_put_where_it_would_end_an_sh_c_strings_word(run, code):
    # A space after `install` lands outside the string's quotes: the option became sh's $0, the finding
    # came back every pass, and the file was refused with "did not settle".
    text = f"FROM debian\nRUN {run}\n"
    result, _, _ = fix_text(text, "Dockerfile", only(code), unsafe=True)
    assert result.error is None and result.text == text


@pytest.mark.parametrize("gap", [" ", " \\\n    "])
def test_an_option_goes_into_a_plain_sh_c_string(gap):
    text = f'FROM debian\nRUN sh -c "pip install{gap}flask"\n'
    assert fixed(text, selection=only("DL3042")) == f'FROM debian\nRUN sh -c "pip install --no-cache-dir{gap}flask"\n'


def test_gem_option_is_not_written_into_exec_form_json():
    text = 'FROM ruby:3\nRUN ["gem", "install", "rails"]\n'
    assert [f.fix for f in lint(parse(text), only("DLR005"))[0]] == [None]
    assert fixed("FROM ruby:3\nRUN gem install rails\n", selection=only("DLR005")) == (
        "FROM ruby:3\nRUN gem install --no-document rails\n")


@pytest.mark.parametrize("maintainer,label", [
    ("Price $5 <j@x.org>", 'LABEL maintainer="Price \\$5 <j@x.org>"'),  # LABEL expands `$`, MAINTAINER did not
    ('a\tb "q" \\x', 'LABEL maintainer="a\tb \\"q\\" \\\\x"'),  # a tab stays a tab, not `\t`
])
def test_maintainer_label_reads_back_as_the_maintainer_text(maintainer, label):
    text = f"FROM debian\nMAINTAINER {maintainer}\n"
    assert fixed(text, unsafe=True, selection=only("DL4000")) == f"FROM debian\n{label}\n"
    assert label_values(f"FROM debian\n{label}\n") == [maintainer]


def test_maintainer_label_under_a_backtick_escape_uses_it():
    text = '# escape=`\nFROM debian\nMAINTAINER DOMAIN\\jdoe "Jo" `x $y\n'
    after = fixed(text, unsafe=True, selection=only("DL4000"))
    assert after == '# escape=`\nFROM debian\nLABEL maintainer="DOMAIN\\jdoe `"Jo`" ``x `$y"\n'
    assert label_values(after) == ['DOMAIN\\jdoe "Jo" `x $y']


BACKTICK_RUNS = [
    pytest.param("RUN apt-get update && apt-get install -y curl\n",
                 "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", id="one-line"),
    pytest.param("RUN apt-get update && `\n    apt-get install -y curl\n",
                 "RUN apt-get update && `\n    apt-get install -y curl && `\n    rm -rf /var/lib/apt/lists/*\n",
                 id="trailing-operators"),
    pytest.param("RUN apt-get update `\n    && apt-get install -y curl `\n    && echo 'a\\b'\n",
                 "RUN apt-get update `\n    && apt-get install -y curl `\n    && echo 'a\\b' `\n"
                 "    && rm -rf /var/lib/apt/lists/*\n", id="leading-operators"),
]


@pytest.mark.parametrize("shell", ['SHELL ["/bin/sh", "-c"]\n', "# hadolint shell=sh\n"])
@pytest.mark.parametrize("run,after", BACKTICK_RUNS)
def test_lists_removal_under_a_backtick_escape_continues_with_it(shell, run, after):
    head = f"# escape=`\nFROM debian\n{shell}"
    text = head + run
    assert fixed(text, selection=only("DL3009")) == head + after
    before_df, after_df = parse(text), parse(head + after)
    assert [(i.keyword, i.start_line) for i in after_df.instructions] == [
        (i.keyword, i.start_line) for i in before_df.instructions]
    # What the shell runs: the same commands, then the removal.
    (old,), (new,) = ([Context(df).script(i) for i in df.instructions if i.keyword == "RUN"]
                      for df in (before_df, after_df))
    words = [[w.value for w in c.words] for c in new.commands]
    assert words == [[w.value for w in c.words] for c in old.commands] + [["rm", "-rf", "/var/lib/apt/lists/*"]]
    assert codes(head + after, only("DL3009")) == []


def test_backtick_escape_without_a_posix_shell_stays_unread():
    text = "# escape=`\nFROM debian\nRUN apt-get update && apt-get install -y curl\n"  # cmd /S /C, by default
    assert codes(text, only("DL3009")) == []
    assert fixed(text, unsafe=True, selection=Selection.default()) == text


def label_values(text: str) -> list[str]:
    """The LABEL values as BuildKit reads them (quotes and escapes undone), through dlint's own reader."""
    df = parse(text)
    return [v.value for i in df.instructions if i.keyword == "LABEL" for _, v in pairs(i, df.directives.escape)]


@pytest.mark.parametrize("text", [
    pytest.param("FROM debian\nRUN --mount=type=cache,target=/cache curl -fsSL -o /cache/a.tar.gz https://x/a.tar.gz"
                 " && tar -xzf /cache/a.tar.gz -C /opt\n", id="written-to-a-cache-mount"),
    pytest.param("FROM debian\nRUN --mount=type=tmpfs,target=/tmp wget -O /tmp/a.tgz https://x/a.tgz"
                 " && tar -xzf /tmp/a.tgz -C /opt\n", id="written-to-a-tmpfs"),
])
def test_an_archive_in_a_mount_is_not_in_the_layer(text):
    assert codes(text, only("DLR004")) == []


@pytest.mark.parametrize("after", [
    "FROM dl AS b2\nFROM debian\nCOPY --from=b2 /opt /opt\n",
    "FROM debian\nARG S=dl\nCOPY --from=${S} /opt /opt\n",
    "FROM debian\nRUN --mount=from=dl,source=/opt,target=/o cp -r /o /p\n",
    "RUN cp -r /opt/dl /srv/mirror\n",
], ids=["stage-built-from-it", "copy-from-a-variable", "mount-from-it", "its-directory-copied"])
def test_an_archive_another_step_may_take_is_not_removed(after):
    run = "RUN curl -fsSL -o /opt/dl/x.tar.gz https://x/x.tar.gz && tar -xzf /opt/dl/x.tar.gz -C /opt\n"
    assert [f.fix for f in lint(parse(f"FROM debian AS dl\n{run}{after}"), only("DLR004"))[0]] == [None]


@pytest.mark.parametrize("before,after", [
    ("ENV TARBALL=/opt/dl/x.tar.gz", "RUN tar -tzf $TARBALL"),
    ("ARG TARBALL=/opt/dl/x.tar.gz", "RUN tar -tzf ${TARBALL}"),
    ("ENV T=/tmp/x.tgz", "RUN cp ${T} /srv"),
], ids=["its-path-in-an-env", "its-path-in-an-arg", "its-tmp-path-in-an-env"])
def test_an_archive_a_later_step_reads_through_a_variable_is_not_removed(before, after):
    """A path held in a variable set before the download, read after it: the appended rm broke the later RUN."""
    name = "/tmp/x.tgz" if "/tmp" in before else "/opt/dl/x.tar.gz"
    text = f"FROM debian\n{before}\nRUN curl -fsSL -o {name} https://x/x.tgz && tar -xzf {name} -C /opt\n{after}\n"
    assert [f.fix for f in lint(parse(text), only("DLR004"))[0]] == [None]


def test_a_run_dlint_could_not_analyse_leaves_no_fix_whatever_is_selected():
    text = ("FROM debian\nRUN apt-get update\nRUN echo " + "a | " * 5000 + "b\nRUN apt-get install -y curl\n")
    found = lint(parse(text), only("DLT001"))[0]
    assert [f.code for f in found] == ["DLT001"] and found[0].fix is None
    assert fixed(text, unsafe=True, selection=only("DLT001")) == text


@pytest.mark.parametrize("run", [
    "curl -fsSL -o /srv/d.tar.gz https://x/d.tar.gz && tar -tzf /srv/d.tar.gz",  # listed, not unpacked
    "curl -fsSL -o /srv/d.tgz https://x/d.tgz && tar -czf /srv/backup.tgz /srv/d.tgz",  # packed into another
    "curl -fsSL -o /srv/d.zip https://x/d.zip && unzip -l /srv/d.zip",
])
def test_an_archive_that_is_not_unpacked_is_not_reported(run):
    assert codes(f"FROM debian\nRUN {run}\n", only("DLR004")) == []


@pytest.mark.parametrize("text", [
    "FROM debian\nRUN curl -fsSL -o /opt/b.tar.gz https://x/b.tar.gz && tar -xzf /opt/b.tar.gz -C /opt ./VERSION\n",
    "FROM python\nRUN curl -fsSL -o /tmp/p.tar.gz https://x/p.tar.gz && tar -xzf /tmp/p.tar.gz -C /opt\n"
    "RUN pip install /tmp/*.tar.gz\n",
], ids=["only-a-member-unpacked", "a-later-glob-may-match-it"])
def test_an_archive_still_needed_is_not_removed(text):
    assert [f.fix for f in lint(parse(text), only("DLR004"))[0]] == [None]


SWITCHES = ["sudo", "sudo -u root", "doas", "doas -u root", "gosu root", "su-exec root:root", "runuser -u root --",
            "runuser --user=root", "setpriv --reuid 0 --regid=0 --clear-groups"]


@pytest.mark.parametrize("switch", SWITCHES)
@pytest.mark.parametrize("text,code", [
    pytest.param("FROM debian\nUSER app\nRUN {0} apt-get update && {0} apt-get install -y curl\n", "DL3009",
                 id="lists-of-an-update"),
    pytest.param("FROM debian\nUSER app\nRUN {0} curl -fsSL -o /opt/x.tar.gz https://x/x.tar.gz"
                 " && {0} tar -xzf /opt/x.tar.gz -C /opt\n", "DLR004", id="archive-downloaded"),
])
def test_what_another_user_wrote_is_not_removed_by_a_plain_rm(text, code, switch):
    # The RUN's user is not root: `rm` without sudo (doas, gosu, ...) would fail on root's files and fail the build.
    text = text.format(switch)
    assert [f.fix for f in lint(parse(text), only(code))[0]] == [None]
    assert fixed(text, unsafe=True, selection=only(code)) == text


SU_FORMS = ["su -c '{0}' root", "su root -c '{0}'", "su - root -c '{0}'", "su -l root -s /bin/bash -c \"{0}\""]


@pytest.mark.parametrize("form", SU_FORMS)
@pytest.mark.parametrize("command,code", [
    pytest.param("apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2", "DL3009",
                 id="lists-of-an-update"),
    pytest.param("curl -fsSL -o /opt/x.tar.gz https://x/x.tar.gz && tar -xzf /opt/x.tar.gz -C /opt", "DLR004",
                 id="archive-downloaded"),
])
def test_what_su_runs_is_reported_but_not_removed_by_a_plain_rm(form, command, code):
    # Seen into as `sh -c` is, and refused as every other user switch: root's files may not be the RUN user's to rm.
    text = f"FROM debian\nUSER app\nRUN {form.format(command)}\n"
    assert [f.fix for f in lint(parse(text), only(code))[0]] == [None]
    assert fixed(text, unsafe=True, selection=only(code)) == text


@pytest.mark.parametrize("form", SU_FORMS)
def test_a_fix_inside_su_c_is_made_as_in_sh_c(form):
    text = f"FROM debian\nRUN {form.format('apt-get install --no-install-recommends curl')}\n"
    assert fixed(text, selection=only("DL3014")) == text.replace("install ", "install -y ")


@pytest.mark.parametrize("login", ["su - app -c", "su -l app -c", "su --login app -c", "su -lc"])
def test_cd_in_a_login_su_shell_is_no_workdir_finding(login):
    # A login shell starts in the user's home: WORKDIR would not take it where `cd` does.
    tail = " app" if login == "su -lc" else ""
    assert codes(f"FROM debian\nRUN {login} 'cd /srv && make'{tail}\n", only("DL3003")) == []


@pytest.mark.parametrize("line", ["su app -c 'cd /srv && make'", "sh -c 'cd /srv && make'", "cd /srv && make"])
def test_cd_where_the_shell_starts_in_workdir_is_a_workdir_finding(line):
    # A plain `su` keeps the directory it was started in, as `sh -c` does: WORKDIR would do what `cd` does.
    assert codes(f"FROM debian\nRUN {line}\n", only("DL3003")) == ["DL3003"]


def test_an_archive_in_a_stage_copied_from_is_not_removed():
    run = "RUN curl -fsSL -o /tmp/a.tar.gz https://x/a.tar.gz && tar -xzf /tmp/a.tar.gz -C /opt\n"
    text = f"FROM debian AS dl\n{run}FROM debian\nCOPY --from=dl /tmp/ /dist/\n"
    assert [f.fix for f in lint(parse(text), only("DLR004"))[0]] == [None]
    assert fixed(f"FROM debian\n{run}", selection=only("DLR004")) == f"FROM debian\n{run[:-1]} && rm -f /tmp/a.tar.gz\n"


@pytest.mark.parametrize("shell", [
    "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe", "/usr/bin/fish", "nu"])
def test_a_non_posix_shell_named_by_any_path_gets_no_shell_fix(shell):
    def text(program: str) -> str:
        return (f'FROM debian\nSHELL ["{program}", "-c"]\n'
                "RUN curl -fsSL -o /go.tar.gz https://x/go.tar.gz; tar -xzf /go.tar.gz -C /\n")

    assert "DLR004" in codes(text("/bin/bash"), only("DLR004"))  # the same RUN in a POSIX shell
    assert codes(text(shell), only("DLR004")) == []
    assert fixed(text(shell), unsafe=True, selection=Selection.default()) == text(shell)


def test_a_file_with_a_parse_error_reports_no_finding_as_fixable(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian\nFOO bar\nADD a.txt /a\nMAINTAINER x\n")
    p = dlint("check", "--format", "json", str(path))
    assert {f["code"]: f["fixable"] for f in json.loads(p.stdout)} == {"DL1000": False, "DL3006": False, "DL3020": False,
                                                                "DL4000": False}
    assert p.stderr.decode().endswith(", 0 fixable\n")


@pytest.mark.parametrize("run", ["V=$(apt show nodejs | sed -n 's/^Version: //p')", "apt search curl > /found",
                                 "apt policy curl | grep -q Installed"])
def test_apt_whose_output_is_read_is_not_rewritten_to_apt_cache(run):
    """`apt show` prints the candidate only, `apt-cache show` every version."""
    assert [f.fix for f in lint(parse(f"FROM debian\nRUN {run}\n"), only("DL3027"))[0]] == [None]


def test_apt_in_an_sh_c_string_spelt_in_pieces_is_not_rewritten():
    text = "FROM debian\nRUN sh -c 'ap''t install -y curl'\n"
    assert [f.fix for f in lint(parse(text), only("DL3027"))[0]] == [None]
    assert fixed("FROM debian\nRUN sh -c 'apt remove -y curl'\n", selection=only("DL3027")) == (
        "FROM debian\nRUN sh -c 'apt-get remove -y curl'\n")


@pytest.mark.parametrize("target", ["/var/cache/apk", "/etc/apk/cache"])
def test_apk_with_a_cache_mount_on_its_cache_is_left_to_use_it(target):
    assert codes(f"FROM alpine\nRUN --mount=type=cache,target={target} apk add curl\n", only("DL3019")) == []
    assert codes("FROM alpine\nRUN --mount=type=cache,target=/root/.cache apk add curl\n", only("DL3019")) == ["DL3019"]


def test_one_package_per_line_continues_with_a_backtick_escape():
    # The layout fix wrote `\` continuations: under `# escape=\`` each package line became an instruction
    # of its own (`unknown instruction: b=1`), the safety check refused the file and no fix was written.
    head = '# escape=`\nFROM debian\nSHELL ["/bin/sh", "-c"]\n'
    text = head + "RUN apt-get install -y --no-install-recommends c=1 b=1 a=1\n"
    after = fixed(text, selection=only("DLT005"))
    assert after == head + ("RUN apt-get install -y --no-install-recommends `\n    a=1 `\n    b=1 `\n    c=1\n")
    assert [(i.keyword, i.start_line) for i in parse(after).instructions] == [
        (i.keyword, i.start_line) for i in parse(text).instructions]
    assert fixed(after, selection=only("DLT005")) == after


@pytest.mark.parametrize("run,code", [
    pytest.param("pip install --cache-dir /c flask==1", "DL3042", id="pip-cache-dir"),
    pytest.param("pip install --cache-dir=/c flask==1", "DL3042", id="pip-cache-dir-equals"),
    pytest.param("apt-get install -y --install-recommends x=1", "DL3015", id="apt-install-recommends"),
    pytest.param("apt-get install -y -o APT::Install-Recommends=true x=1", "DL3015", id="apt-config"),
])
def test_a_switch_a_later_option_would_undo_is_not_inserted(run, code):
    # pip and apt read options in order: `pip install --no-cache-dir --cache-dir /c` caches in /c, and apt's
    # later `--install-recommends` wins. The fix wrote its switch right after the subcommand, where it did
    # nothing but silence the finding.
    text = f"FROM debian\nRUN {run}\n"
    assert code in codes(text, only(code))
    assert fixed(text, unsafe=True, selection=only(code)) == text


def test_a_cache_dir_before_the_subcommand_is_undone_by_the_switch():
    text = "FROM debian\nRUN pip --cache-dir=/c install flask==1\n"
    after = "FROM debian\nRUN pip --cache-dir=/c install --no-cache-dir flask==1\n"
    assert fixed(text, selection=only("DL3042")) == after


@pytest.mark.parametrize("tail", ["&& exit 0", "&& exit", "; exit 0", "&& exec bash", "&& exec /app/start --x",
                                  "|| true && exit 1", "; return"])
def test_no_removal_is_appended_after_the_shell_has_left(tail):
    # `... && exit 0 && rm -rf /var/lib/apt/lists/*`: the shell exits (or becomes another program) before the
    # rm, so the lists stayed in the layer while the finding, seeing a removal, went away.
    text = f"FROM debian\nRUN apt-get update && apt-get install -y curl {tail}\n"
    assert codes(text, only("DL3009")) == ["DL3009"]
    assert fixed(text, selection=only("DL3009")) == text


@pytest.mark.parametrize("tail", ["|| exit 1", "&& exec >/tmp/log"])
def test_a_removal_still_follows_an_exit_only_a_failure_reaches_or_a_bare_exec(tail):
    text = f"FROM debian\nRUN apt-get update && apt-get install -y curl {tail}\n"
    after = f"FROM debian\nRUN apt-get update && apt-get install -y curl {tail} && rm -rf /var/lib/apt/lists/*\n"
    assert fixed(text, selection=only("DL3009")) == after


def test_one_package_per_line_in_a_heredoc_continues_with_a_backslash_under_a_backtick_escape():
    # A heredoc body is the shell's text: there a backquote at a line's end starts a command substitution, and
    # only `\` continues a line, whatever the Dockerfile's escape.
    head = '# escape=`\nFROM debian\nSHELL ["/bin/sh", "-c"]\n'
    text = head + "RUN <<EOT\napt-get install -y --no-install-recommends c=1 b=1 a=1\nEOT\n"
    after = head + "RUN <<EOT\napt-get install -y --no-install-recommends \\\n    a=1 \\\n    b=1 \\\n    c=1\nEOT\n"
    assert fixed(text, selection=only("DLT005")) == after
    (run,) = [i for i in parse(after).instructions if i.keyword == "RUN"]
    (install,) = Context(parse(after)).script(run).commands
    assert [w.value for w in install.words][-3:] == ["a=1", "b=1", "c=1"]


@pytest.mark.parametrize("run", [
    # The shell reads `\"` as a quote inside the string, which never ends: each pass appended another removal
    # inside it ("fixes did not settle after 10 passes").
    pytest.param('RUN apt-get update && apt-get install -y curl && echo `date` `\n    && echo "C:\\x\\" \n',
                 id="unterminated-string"),
    # A backquote left open in a heredoc: the removal went in front of the terminator (`&& rm ...EOT`).
    pytest.param("RUN <<EOT\napt-get update\napt-get install -y b a `\n  c\nEOT\n", id="open-backquote-in-heredoc"),
])
def test_no_list_edit_in_a_script_the_shell_parser_could_not_read(run):
    text = '# escape=`\nFROM debian\nSHELL ["/bin/sh", "-c"]\n' + run
    result, _, _ = fix_text(text, "Dockerfile", only("DL3009"), False)
    assert result.error is None and result.text == text


def test_a_repeat_is_not_dropped_where_the_word_before_would_become_a_redirections_descriptor():
    # `-d 1 x-1>/tmp/log` lost its repeat as `-d 1>/tmp/log`: the shell then read `1>` as stdout's redirection,
    # and dnf's `-d` had no value left.
    text = "FROM fedora\nRUN dnf install -y x-1 -d 1 x-1>/tmp/log\n"
    assert codes(text, only("DLT003")) == ["DLT003"]
    assert fixed(text, selection=only("DLT003")) == text
    spaced = "FROM fedora\nRUN dnf install -y x-1 -d 1 x-1 >/tmp/log\n"
    assert fixed(spaced, selection=only("DLT003")) == "FROM fedora\nRUN dnf install -y x-1 -d 1 >/tmp/log\n"


@pytest.mark.parametrize("option", ["-o APT::Get::Assume-Yes=false", "--assume-no"])
def test_no_yes_is_inserted_before_an_answer_the_command_gives_itself(option):
    # `apt-get install -y -o APT::Get::Assume-Yes=false x`: the later option wins and apt still asks, while the
    # finding went away; `-y --assume-no` turned the command's own "no" into a yes.
    text = f"FROM debian\nRUN apt-get install {option} x=1\n"
    assert codes(text, only("DL3014")) == ["DL3014"]
    assert fixed(text, selection=only("DL3014")) == text


@pytest.mark.parametrize("option", ["--setopt=assumeyes=False", "--setopt assumeyes=0", "--assumeno"])
def test_no_yes_is_inserted_where_dnf_would_not_heed_it(option):
    # dnf applies `--setopt` after the options and heeds `--assumeno` before `-y`: the `-y` changed nothing but
    # the finding, which went away.
    text = f"FROM fedora\nRUN dnf install {option} x-1\n"
    assert codes(text, only("DL3038")) == ["DL3038"]
    assert fixed(text, selection=only("DL3038")) == text
