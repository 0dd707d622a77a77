"""Packages named through a variable (issue 11 item 4): read when dlint knows the value for certain,
reported at the `$NAME` use, never edited by a fix."""

from __future__ import annotations

import pytest

from dlint.lint.engine import Selection, default_codes, lint
from dlint.lint.finding import Finding
from dlint.parsing.dockerfile import parse
from dlint.parsing.expansion import Variables
from dlint.parsing.packages import package_commands
from dlint.parsing.shell import run_script

PIN_CODES = ("DL3008", "DL3033", "DL3041", "DL3037", "DL3018", "DL3013")


def pins(text: str) -> list[Finding]:
    found, crashes = lint(parse(text, "Dockerfile"), Selection(frozenset(PIN_CODES)))
    assert not crashes
    return [f for f in found if f.code in PIN_CODES]


def offset(text: str, line: int, column: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + column - 1


def at(text: str, f: Finding) -> str:
    """The text a finding points at."""
    return text[offset(text, f.line, f.column) : offset(text, f.end_line, f.end_column)]


def reported(text: str) -> list[tuple[str, str]]:
    """(code, the text the finding points at) of each pin finding."""
    return [(f.code, at(text, f)) for f in pins(text)]


APT = "apt-get install -y --no-install-recommends"


# --- the shapes ------------------------------------------------------------------


def test_yum_list_in_a_variable_of_the_same_run_is_read():
    text = ('FROM centos:7\nRUN INSTALL_PKGS="rsync tar gettext" && yum -y install $INSTALL_PKGS '
            "&& yum clean all\n")  # fmt: skip
    [f] = pins(text)
    assert (f.code, at(text, f)) == ("DL3033", "$INSTALL_PKGS")
    assert f.message.startswith("`$INSTALL_PKGS` holds `rsync`, `tar` and `gettext`, not pinned")


def test_dnf_list_over_continuation_lines():
    text = ("FROM fedora:40\nRUN INSTALL_PKGS=\"python3 \\\n      nodejs\" && \\\n"
            "    dnf install -y --setopt=tsflags=nodocs $INSTALL_PKGS && dnf clean all\n")  # fmt: skip
    [f] = pins(text)
    assert f.code == "DL3041" and (f.line, at(text, f)) == (4, "$INSTALL_PKGS")
    assert "`python3` and `nodejs`" in f.message


def test_apt_list_after_a_semicolon():
    assert reported(f'FROM debian:12\nRUN PKGS="curl wget"; {APT} $PKGS\n') == [("DL3008", "$PKGS")]


def test_written_and_variable_packages_get_one_finding_each():
    text = f'FROM debian:12\nRUN PKGS="curl wget"; {APT} git $PKGS make=4.3-4.1\n'
    found = pins(text)
    assert [at(text, f) for f in found] == ["git", "$PKGS"]
    assert "`git` is not pinned" in found[0].message and "`curl` and `wget`" in found[1].message


# --- forms of the assignment and the use ------------------------------------------------------


@pytest.mark.parametrize(
    "run,span",
    [
        (f'PKGS="curl wget" && {APT} ${{PKGS}}', "${PKGS}"),
        (f"PKGS='curl' && {APT} \"$PKGS\"", '"$PKGS"'),
        (f"PKGS=curl; {APT} \"${{PKGS}}\"", '"${PKGS}"'),
        (f'export PKGS="curl wget" && {APT} $PKGS', "$PKGS"),
        (f'readonly PKGS="curl wget"; {APT} $PKGS', "$PKGS"),
        (f'A=curl B=wget; {APT} $A', "$A"),
        (f"set -eux; PKGS=curl; if true; then {APT} $PKGS; fi", "$PKGS"),  # use in an `if`: still known
        (f"PKGS=curl; {APT} $PKGS | tee /log", "$PKGS"),
        (f"sh -c 'PKGS=curl; {APT} $PKGS'", "$PKGS"),
        (f'sh -c "PKGS=curl; {APT} \\$PKGS"', "$PKGS"),  # the outer shell leaves `\\$` to the inner one
        (f"PKGS=x; PKGS=curl; {APT} $PKGS", "$PKGS"),  # the later assignment wins
        (f"PKGS=curl; unset OTHER; {APT} $PKGS", "$PKGS"),
    ],
)
def test_certain_assignments_are_read(run, span):
    assert reported(f"FROM debian:12\nRUN {run}\n") == [("DL3008", span)]


def test_several_variables_in_one_command():
    text = f'FROM debian:12\nRUN A="curl wget" && B=git && {APT} $A $B\n'
    found = pins(text)
    assert [at(text, f) for f in found] == ["$A", "$B"]


def test_a_pinned_value_is_not_reported():
    assert pins(f'FROM debian:12\nRUN PKGS="curl=7.88.1-10 wget=1.21.3-1"; {APT} $PKGS\n') == []
    assert pins('FROM centos:7\nRUN P="httpd-2.4.6" && yum install -y $P && yum clean all\n') == []


@pytest.mark.parametrize(
    "run",
    [
        f"{APT} $PKGS",  # never assigned
        f"PKGS=$(cat /deps) && {APT} $PKGS",
        f"PKGS=`cat /deps` && {APT} $PKGS",
        f"PKGS=curl && {APT} ${{PKGS:-wget}}",
        f"PKGS=curl && {APT} ${{PKGS%%x}}",
        f"{APT} $PKGS; PKGS=curl",  # assigned after the use
        f"PKGS=curl; if false; then PKGS=wget; fi; {APT} $PKGS",
        f"PKGS=curl; case x in x) PKGS=wget;; esac; {APT} $PKGS",
        f"PKGS=curl; for i in 1; do {APT} $PKGS; PKGS=wget; done",
        f"for PKGS in curl; do {APT} $PKGS; done",
        f"PKGS=curl; (PKGS=wget); {APT} $PKGS",
        f"PKGS=curl; f() {{ {APT} $PKGS; }}; f",  # a function runs when called
        f"PKGS=curl & {APT} $PKGS",  # a background job sets it in a subshell
        f"PKGS=curl | cat; {APT} $PKGS",
        f"false && PKGS=curl; {APT} $PKGS",
        f"true || PKGS=curl && {APT} $PKGS",
        f"PKGS=curl; read PKGS < /deps; {APT} $PKGS",
        f"PKGS=curl; unset PKGS; {APT} $PKGS",
        f"PKGS=curl; eval \"$SETUP\"; {APT} $PKGS",
        f"PKGS=curl; . /etc/profile; {APT} $PKGS",
        f"PKGS=curl; : ${{PKGS:=wget}}; {APT} $PKGS",
        f"PKGS=curl; PKGS+=' wget'; {APT} $PKGS",
        f"PKGS=(curl wget); {APT} $PKGS",
        f"PKGS=curl; IFS=,; {APT} $PKGS",
        f"PKGS='lib*'; {APT} $PKGS",  # the shell would match it against files
        f"PKGS='curl wget'; {APT} \"$PKGS\"",  # one argument with a space: not two packages
        f"PKGS='-t bookworm curl'; {APT} $PKGS",  # options: the words around it would change meaning
        f"PKGS=curl {APT} $PKGS",  # a command's own assignment: `$PKGS` is expanded before it
        f'PKGS=curl; sh -c "{APT} $PKGS"',  # the outer shell expands; the inner one does not see it
        f"PKGS=curl; sh -c '{APT} $PKGS'",  # not exported: the inner shell has no PKGS
        f"PKGS=curl; $RUNNER; {APT} $PKGS",  # a command dlint cannot name may be `eval`
    ],
)
def test_uncertain_values_stay_unknown(run):
    assert pins(f"FROM debian:12\nRUN {run}\n") == []


def test_heredoc_scripts():
    script = f'PKGS="curl wget"\n{APT} $PKGS\n'
    assert reported(f"FROM debian:12\nRUN <<EOF\nset -e\n{script}EOF\n") == [("DL3008", "$PKGS")]
    assert reported(f"FROM debian:12\nRUN bash <<'EOF'\n{script}EOF\n") == [("DL3008", "$PKGS")]
    # Unquoted: the outer shell expands `$PKGS` (unset there) before bash reads the script.
    assert pins(f"FROM debian:12\nRUN bash <<EOF\n{script}EOF\n") == []


# --- ENV and ARG ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines,expected",
    [
        (['ENV PKGS="curl wget"'], ["$PKGS"]),
        (["ENV PKGS curl"], ["$PKGS"]),  # the old `ENV name value` form
        (["ENV PKGS=curl\\ wget"], ["$PKGS"]),
        (['ARG PKGS="curl wget"'], ["$PKGS"]),  # the default: what a build without --build-arg installs
        (["ARG PKGS"], []),  # no default: whatever the build passes
        (["ENV PKGS=${BASE}-dev"], []),  # BuildKit expands it: unknown here
        (["ENV PKGS=curl", "ARG PKGS=curl=7.88.1-10"], ["$PKGS"]),  # ENV wins over ARG
        (["ARG PKGS=curl", "ENV PKGS=curl=7.88.1-10"], []),
    ],
)
def test_env_and_arg_values_of_the_stage(lines, expected):
    text = "FROM debian:12\n" + "".join(f"{line}\n" for line in lines) + f"RUN {APT} $PKGS\n"
    assert [at(text, f) for f in pins(text)] == expected


def test_env_and_arg_count_only_before_the_run_and_in_their_stage():
    assert pins(f"FROM debian:12\nRUN {APT} $PKGS\nENV PKGS=curl\n") == []
    # ENV carries into a stage built FROM this one; ARG does not.
    text = f"FROM debian:12 AS base\nENV A=curl\nARG B=wget\nFROM base\nRUN {APT} $A $B\n"
    assert reported(text) == [("DL3008", "$A")]
    # A global ARG reaches a stage that declares it again without a value.
    text = f"ARG PKGS=curl\nFROM debian:12\nARG PKGS\nRUN {APT} $PKGS\nFROM debian:12\nRUN {APT} $PKGS\n"
    assert [f.line for f in pins(text)] == [4]


def test_env_through_a_chain_of_stages_is_the_nearest_stage_that_sets_it():
    text = (f"FROM debian:12 AS a\nENV P=curl\nFROM a AS b\nRUN {APT} $P\nENV P=wget=1.21-1\n"
            f"FROM b AS c\nFROM c AS d\nRUN {APT} $P\nFROM a AS e\nRUN {APT} $P\nFROM debian:12\nRUN {APT} $P\n")
    # b's RUN and e see a's curl; d sees b's pinned wget (through c); the last stage builds on no stage.
    assert [f.line for f in pins(text)] == [4, 10]


def test_a_variable_of_another_run_is_unknown_unless_env():
    text = f"FROM debian:12\nRUN PKGS=curl\nRUN {APT} $PKGS\n"
    assert pins(text) == []
    text = f"FROM debian:12\nENV PKGS=wget\nRUN PKGS=curl\nRUN {APT} $PKGS\n"  # each RUN is a new shell
    assert [f.message.split(",")[0] for f in pins(text)] == ["`$PKGS` holds `wget`"]


def test_the_script_overrides_env_and_a_conditional_change_hides_both():
    assert "`curl`" in pins(f"FROM debian:12\nENV P=wget\nRUN P=curl; {APT} $P\n")[0].message
    assert pins(f"FROM debian:12\nENV P=wget\nRUN [ -f x ] && P=curl; {APT} $P\n") == []


def test_an_onbuild_trigger_runs_in_another_build_with_its_own_env():
    text = f"FROM debian:12\nENV PKGS=curl\nONBUILD RUN {APT} $PKGS\n"
    assert pins(text) == []
    assert len(pins(f"FROM debian:12\nONBUILD RUN PKGS=curl && {APT} $PKGS\n")) == 1


def test_exec_form_has_no_shell_to_expand():
    [f] = pins('FROM debian:12\nENV PKGS=curl\nRUN ["apt-get", "install", "-y", "$PKGS"]\n')
    assert f.message.startswith("`$PKGS` is not pinned")  # a package named `$PKGS`, as written
    assert len(pins('FROM debian:12\nENV P=curl\nRUN ["sh", "-c", "apt-get install -y $P"]\n')) == 1


def test_other_managers_read_variables_too():
    assert [f.code for f in pins("FROM alpine:3.20\nRUN P='curl wget' && apk add --no-cache $P\n")] == ["DL3018"]
    assert [f.code for f in pins("FROM python:3.12\nRUN P=flask && pip install --no-cache-dir $P\n")] == ["DL3013"]
    assert [f.code for f in pins("FROM opensuse/leap\nRUN P=curl && zypper -n in $P && zypper clean\n")] == [
        "DL3037"
    ]


# --- fixes never touch a variable's packages ----------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        'PKGS="zlib1g curl curl" && apt-get install $PKGS',
        'PKGS="wget curl" && apt-get install zsh $PKGS curl',
        'PKGS="curl" && apt-get install curl $PKGS',
        'export PKGS="b a" && apt-get install $PKGS',
    ],
)
def test_no_fix_edits_the_assignment_or_the_use(run):
    """DLT002 and DLT003 read written packages only (written words still sort around the
    variable): no fix of any rule edits the assignment or the `$PKGS` use."""
    text = f"FROM debian:12\nRUN apt-get update && {run} && rm -rf /var/lib/apt/lists/*\n"
    found, _ = lint(parse(text, "Dockerfile"), Selection(default_codes()))
    start = text.index("PKGS=")
    assignment = (start, text.index('"', start + len('PKGS="')) + 1)
    use = (text.index("$PKGS"), text.index("$PKGS") + len("$PKGS"))
    edits = [(f.code, e) for f in found if f.fix for e in f.fix.edits]
    assert edits  # the file has fixes (DL3014's `-y`, ...): they just keep off the variable
    for code, edit in edits:
        for lo, hi in (assignment, use):
            assert edit.end <= lo or edit.start >= hi, (code, edit)


def test_sorting_and_duplicate_rules_do_not_read_variables():
    text = f'FROM debian:12\nRUN PKGS="wget curl curl" && {APT} $PKGS && rm -rf /var/lib/apt/lists/*\n'
    found, _ = lint(parse(text, "Dockerfile"), Selection(frozenset({"DLT002", "DLT003"})))
    assert found == []


# --- the shell view underneath -------------------------------------------------------------------


def words_at(text: str) -> list[tuple[str, ...] | None]:
    df = parse(text, "Dockerfile")
    script = run_script(df, df.instructions[-1])
    assert script is not None
    variables = Variables(script)
    return [variables.words(pc.command, w) for pc in package_commands(script) for w in pc.packages if not w.literal]


def test_value_is_split_on_blanks_and_kept_whole_in_quotes():
    assert words_at('FROM x\nRUN P=" a\tb  c " && yum install $P "$P"\n') == [("a", "b", "c"), None]
    assert words_at("FROM x\nRUN P= && yum install $P\n") == [()]


def test_each_use_in_a_long_chain_reads_the_latest_assignment():
    body = " && ".join(f"P{i % 50}=pkg{i} && apt-get install -y $P{i % 50}" for i in range(1200))  # 52 KB
    assert words_at(f"FROM x\nRUN {body}\n") == [(f"pkg{i}",) for i in range(1200)]
