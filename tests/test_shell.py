"""The shell view of RUN: commands, wrappers, words and their file positions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlint.model import Dockerfile, Instruction
from dlint.parsing.dockerfile import parse
from dlint.parsing.shell import Command, Script, Word, as_other_user, effective_shell, run_script


def script(source: str, which: int = -1) -> tuple[Dockerfile, Script]:
    """The Script of the `which`-th RUN of `source` (a whole Dockerfile)."""
    df = parse(source)
    runs = [i for i in df.instructions if i.keyword == "RUN"]
    result = run_script(df, runs[which])
    assert result is not None
    return df, result


def run(line: str) -> Script:
    return script(f"FROM debian\nRUN {line}\n")[1]


def names(s: Script) -> list[str]:
    return [c.name for c in s.commands]


def values(words: tuple[Word, ...]) -> list[str]:
    return [w.value for w in words]


def only(s: Script, name: str) -> Command:
    found = [c for c in s.commands if c.name == name]
    assert len(found) == 1, names(s)
    return found[0]


def at(df: Dockerfile, word: Word) -> tuple[int, int]:
    return df.position(word.start_offset)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("a && b", ["a", "b"]),
        ("a || b", ["a", "b"]),
        ("a ; b", ["a", "b"]),
        ("a | b", ["a", "b"]),
        ("a & b", ["a", "b"]),
        ("(a; b) && c", ["a", "b", "c"]),
        ("{ a; b; } || c", ["a", "b", "c"]),
        ("if a; then b; elif c; then d; else e; fi", ["a", "b", "c", "d", "e"]),
        ("while a; do b; done; until c; do d; done", ["a", "b", "c", "d"]),
        ("for x in 1 2; do a; b; done", ["a", "b"]),
        ("case $x in y) a;; *) b;; esac", ["a", "b"]),
        ('a "$(b | c)" `d` && e=$(f)', ["a", "b", "c", "d", "f"]),
        ("f() { a; }; f", ["a", "f"]),
    ],
)
def test_commands_are_split_on_every_operator_and_compound(line: str, expected: list[str]) -> None:
    assert names(run(line)) == expected


def test_newline_separates_commands_in_a_heredoc_script() -> None:
    _, s = script("FROM debian\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n")
    assert [values(c.words) for c in s.commands] == [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]


def test_pipeline_negation_and_condition_are_marked() -> None:
    s = run("curl -s x | sh; if ! test -f y; then make; fi")
    curl, sh, test, make = s.commands
    assert s.has_pipe
    assert curl.in_pipeline and sh.in_pipeline and not make.in_pipeline
    assert test.negated and test.in_condition
    assert not make.in_condition and not make.negated
    assert not run("a && b").has_pipe


def test_words_drop_quotes_and_escapes_but_keep_expansions() -> None:
    cmd = run("""echo "a b" 'c $d' e\\ f "g\\"h" $HOME "${X}y" $(date) `id` $'t\\tu' --x="1 2" """).commands[0]
    assert values(cmd.args) == ["a b", "c $d", "e f", 'g"h', "$HOME", "${X}y", "$(date)", "`id`", "t\tu", "--x=1 2"]
    assert [w.literal for w in cmd.args] == [True, True, True, True, False, False, False, False, True, True]
    assert cmd.args[0].raw == '"a b"'


def test_program_path_is_reduced_to_its_name() -> None:
    cmd = run("/usr/bin/apt-get update").commands[0]
    assert cmd.name == "apt-get"
    assert cmd.words[0].value == "/usr/bin/apt-get"
    assert run("\\apt-get update").commands[0].name == "apt-get"


@pytest.mark.parametrize(
    "line, wrappers, assignments",
    [
        ("sudo -u builder -E apt-get install -y x", ("sudo",), []),
        ("sudo DEBIAN_FRONTEND=noninteractive apt-get install -y x", ("sudo",), ["DEBIAN_FRONTEND=noninteractive"]),
        ("env A=1 B='2 3' apt-get install -y x", ("env",), ["A=1", "B=2 3"]),
        ("env -u X -i A=1 apt-get install -y x", ("env",), ["A=1"]),
        ("A=1 apt-get install -y x", (), ["A=1"]),
        ("command apt-get install -y x", ("command",), []),
        ("exec -a name apt-get install -y x", ("exec",), []),
        ("nice -n 10 nohup time -p apt-get install -y x", ("nice", "nohup", "time"), []),
        ("sudo --user=root env A=1 apt-get install -y x", ("sudo", "env"), ["A=1"]),
        ("doas -n -u root apt-get install -y x", ("doas",), []),
        ("gosu app:app apt-get install -y x", ("gosu",), []),
        ("su-exec 1000 apt-get install -y x", ("su-exec",), []),
        ("runuser -u app -- apt-get install -y x", ("runuser",), []),
        ("runuser --user app apt-get install -y x", ("runuser",), []),
        ("setpriv --reuid=1000 --regid 1000 --init-groups apt-get install -y x", ("setpriv",), []),
    ],
)
def test_wrappers_are_seen_through(line: str, wrappers: tuple[str, ...], assignments: list[str]) -> None:
    (cmd,) = run(line).commands
    assert values(cmd.words) == ["apt-get", "install", "-y", "x"]
    assert cmd.wrappers == wrappers
    assert values(cmd.assignments) == assignments


def test_wrapper_alone_or_looking_up_a_name_is_the_command() -> None:
    assert names(run("command -v apt-get")) == ["command"]
    assert names(run("doas -C /etc/doas.conf apt-get update")) == ["doas"]  # only checks the rules
    assert names(run("runuser app -c 'apt-get update'")) == ["runuser"]  # su's form: a user, then a shell
    assert names(run("runuser -l app")) == ["runuser"]
    assert names(run("gosu app")) == ["gosu"]
    assert names(run("sudo -i")) == ["sudo"]
    assert names(run("env")) == ["env"]


@pytest.mark.parametrize("line, su, label", [
    ("su -c 'apt-get update && apt-get install -y x' app", "su", "sh -c"),
    ("su app -c 'apt-get update && apt-get install -y x'", "su", "sh -c"),
    ('su - app -c "apt-get update && apt-get install -y x"', "su -", "sh -c"),
    ("su -l app -s /bin/bash -c 'apt-get update; apt-get install -y x'", "su -", "bash -c"),
    ("su --login --shell=/bin/dash app --command 'apt-get update; apt-get install -y x'", "su -", "dash -c"),
    ("su -lc 'apt-get update && apt-get install -y x' -g wheel \"$APP_USER\"", "su -", "sh -c"),
    ("su -mc 'apt-get update && apt-get install -y x' app", "su", "sh -c"),
])
def test_su_c_string_is_parsed_as_shell_run_by_another_user(line: str, su: str, label: str) -> None:
    s = run(line)
    assert [values(c.words) for c in s.commands] == [["apt-get", "update"], ["apt-get", "install", "-y", "x"]]
    assert all(c.wrappers == (su, label) for c in s.commands)  # "su -": a login shell
    assert all(as_other_user(c) and not c.place.knowable for c in s.commands)  # su's environment is not the RUN's


def test_su_c_string_the_outer_shell_expands_is_seen_with_its_variables_unknown() -> None:
    (install,) = run('su app -c "apt-get install -y $PKG"').commands
    assert values(install.words) == ["apt-get", "install", "-y", "$PKG"]
    assert install.wrappers == ("su", "sh -c") and not install.place.knowable


@pytest.mark.parametrize("line", [
    "su app", "su app ./install.sh", "su app -c", "su -capt-get app", "su --command='apt-get update' app",
    "su app -s /usr/bin/fish -c 'apt-get update'", "su -s \"$SH\" app -c 'apt-get update'",
    "su $OPTS -c 'apt-get update'", "su app -c 'apt-get update' extra", "su -- app -c 'apt-get update'",
])
def test_su_whose_command_dlint_cannot_tell_is_the_command(line: str) -> None:
    assert names(run(line)) == ["su"]


def test_su_c_string_keeps_file_positions() -> None:
    df, s = script("FROM debian\nRUN su - app -c 'apt-get install  -y x'\n")
    (install,) = s.commands
    assert at(df, install.words[0]) == (2, 18)
    assert at(df, install.args[-1]) == (2, 38)
    assert [df.text[w.start_offset : w.end_offset] for w in install.words] == ["apt-get", "install", "-y", "x"]


@pytest.mark.parametrize(
    "line, label",
    [
        ('sh -c "apt-get update && apt-get install -y x"', "sh -c"),
        ("bash -c 'apt-get update && apt-get install -y x'", "bash -c"),
        ('/bin/bash -euxc "apt-get update; apt-get install -y x"', "bash -c"),
        ("dash -c 'apt-get update;' ; ash -c 'apt-get install -y x'", None),
    ],
)
def test_sh_c_string_is_parsed_as_shell(line: str, label: str | None) -> None:
    s = run(line)
    assert [values(c.words) for c in s.commands] == [["apt-get", "update"], ["apt-get", "install", "-y", "x"]]
    if label:
        assert all(c.wrappers == (label,) for c in s.commands)


def test_shell_running_a_script_file_is_a_command() -> None:
    assert [values(c.words) for c in run("bash ./install.sh -y").commands] == [["bash", "./install.sh", "-y"]]
    assert names(run("curl -fsSL x | sh")) == ["curl", "sh"]


def test_sudo_sh_c_stacks_wrappers_and_keeps_file_positions() -> None:
    df, s = script('FROM debian\nRUN sudo sh -c "apt-get update && \\\n  apt-get install -y \\"x\\""\n')
    update, install = s.commands
    assert install.wrappers == ("sudo", "sh -c")
    assert values(install.args) == ["install", "-y", "x"]
    assert at(df, install.words[0]) == (3, 3)
    assert at(df, install.args[1]) == (3, 19)
    assert at(df, install.args[2]) == (3, 23)  # the escaped quote that opens "x" in the string
    assert at(df, update.words[0]) == (2, 17)


def test_word_after_comment_lines_in_a_continuation_maps_to_its_line() -> None:
    source = (
        "FROM debian\n"
        "RUN apt-get update && \\\n"
        "# comment inside the continuation\n"
        "    # an indented one\n"
        "    apt-get install -y \\\n"
        "        curl  'git'\n"
    )
    df, s = script(source)
    install = s.commands[1]
    assert at(df, install.words[0]) == (5, 5)
    curl, git = install.args[2:]
    assert at(df, curl) == (6, 9)
    assert df.text[curl.start_offset : curl.end_offset] == "curl"
    assert df.text[git.start_offset : git.end_offset] == "'git'"
    assert df.position(install.start_offset) == (5, 5)
    assert df.position(install.end_offset) == (6, 20)


def test_positions_count_characters_not_bytes() -> None:
    df, s = script('FROM debian\nRUN echo "héllo wörld" && apt-get install -y x\n')
    x = s.commands[1].args[-1]
    assert at(df, x) == (2, 46)
    assert df.text[x.start_offset] == "x"


def test_exec_form_is_one_command_with_positions() -> None:
    df, s = script('FROM debian\nRUN ["apt-get", "install", "-y", "caf\\u00e9"]\n')
    (cmd,) = s.commands
    assert values(cmd.words) == ["apt-get", "install", "-y", "café"]
    assert all(w.literal for w in cmd.words)
    assert at(df, cmd.words[1]) == (2, 17)
    assert cmd.words[3].raw == '"caf\\u00e9"'
    assert not s.has_pipe and not s.errors


def test_exec_form_sh_c_is_parsed() -> None:
    df, s = script('FROM debian\nRUN ["/bin/sh", "-c", "apt-get update && apt-get install -y x"]\n')
    assert names(s) == ["apt-get", "apt-get"]
    assert s.commands[1].wrappers == ("sh -c",)
    assert at(df, s.commands[1].words[0]) == (2, 42)


def test_exec_form_ignores_a_powershell_shell() -> None:
    _, s = script('FROM x\nSHELL ["powershell", "-Command"]\nRUN ["apt-get", "update"]\n')
    assert names(s) == ["apt-get"]


def test_heredoc_body_is_the_script_with_positions() -> None:
    df, s = script("FROM debian\nRUN --mount=type=cache,target=/var/cache/apt <<EOF\nset -e\n  apt-get update\nEOF\n")
    assert names(s) == ["set", "apt-get"]
    assert at(df, s.commands[1].words[0]) == (4, 3)


def test_chomped_heredoc_fed_to_bash_maps_past_the_tabs() -> None:
    df, s = script("FROM debian\nRUN <<-EOF bash -ex\n\t\tapt-get update\n\tapt-get install -y x\n\tEOF\n")
    assert [c.wrappers for c in s.commands] == [("bash",), ("bash",)]
    assert at(df, s.commands[0].words[0]) == (3, 3)
    assert at(df, s.commands[1].args[2]) == (4, 21)


def test_heredoc_given_to_a_non_shell_is_data() -> None:
    _, s = script("FROM debian\nRUN cat <<EOF > /etc/apt/sources.list && apt-get update\ndeb http://x y main\nEOF\n")
    assert names(s) == ["cat", "apt-get"]
    _, s = script("FROM python\nRUN python3 <<EOF\nimport os\nEOF\n")
    assert names(s) == ["python3"]


def test_heredoc_to_sudo_bash_and_herestring_are_scripts() -> None:
    _, s = script("FROM debian\nRUN sudo bash -s <<'EOF'\napk add x\nEOF\n")
    assert [(c.name, c.wrappers) for c in s.commands] == [("apk", ("sudo", "bash"))]
    assert [(c.name, c.wrappers) for c in run('bash <<< "apk add x"').commands] == [("apk", ("bash",))]


def test_heredoc_with_shebang() -> None:
    _, s = script("FROM debian\nRUN <<EOF\n#!/usr/bin/env bash\napt-get update\nEOF\n")
    assert names(s) == ["apt-get"]
    df = parse("FROM python\nRUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n")
    assert run_script(df, df.instructions[1]) is None


def test_broken_shell_gives_a_script_without_raising() -> None:
    s = run('apt-get install "unterminated && echo $(oops')
    assert s.errors is True
    assert [values(c.words) for c in s.commands] == [["apt-get", "install"]]
    assert run("apt-get update").errors is False


def test_pipefail() -> None:
    assert run("set -eo pipefail; curl x | sh").sets_pipefail
    assert run("set -o errexit -o pipefail && a | b").sets_pipefail
    assert run("bash -o pipefail -c 'a | b'").sets_pipefail
    assert not run("set -e; a | b").sets_pipefail
    _, s = script('FROM x\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\n')
    assert s.sets_pipefail


def test_non_posix_shells_and_backtick_escape_give_none() -> None:
    df = parse('FROM x\nSHELL ["powershell", "-Command"]\nRUN Get-ChildItem | Remove-Item\n')
    assert effective_shell(df, df.instructions[2]) == ("powershell", "-Command")
    assert run_script(df, df.instructions[2]) is None
    df = parse("# escape=`\nFROM x\nRUN dir `\n  c:\\\n")
    assert run_script(df, df.instructions[1]) is None
    df = parse("FROM x\nRUN apt-get update\n")
    assert run_script(df, df.instructions[1], shell=("cmd.exe", "/S", "/C")) is None
    assert names(run_script(df, df.instructions[1], shell=("/bin/bash", "-c"))) == ["apt-get"]


@pytest.mark.parametrize("shell", ['SHELL ["/bin/sh", "-c"]\n', 'SHELL ["/bin/bash", "-eu", "-c"]\n',
                                   "# hadolint shell=bash\n"])
def test_backtick_escape_with_a_posix_shell_is_read_as_shell(shell: str) -> None:
    source = f"# escape=`\nFROM debian\n{shell}RUN apt-get update && `\n  echo \"a\\\\b `date`\"\n"
    df = parse(source)
    (run_instr,) = [i for i in df.instructions if i.keyword == "RUN"]
    with_pragma = ("bash",) if shell.startswith("#") else None  # as Context passes a `shell=` pragma's
    s = run_script(df, run_instr, with_pragma)
    assert s is not None
    # The ` that ends the line continues the RUN; the one in the line is the shell's command substitution.
    assert [values(c.words) for c in s.commands] == [["apt-get", "update"], ["echo", "a\\b `date`"], ["date"]]
    assert df.text[s.commands[1].start_offset : s.commands[1].end_offset] == 'echo "a\\\\b `date`"'


def test_backtick_escape_without_a_shell_defaults_to_cmd() -> None:
    df = parse("# escape=`\nFROM debian\nRUN apt-get update\n")
    assert effective_shell(df, df.instructions[1]) == ("cmd", "/S", "/C")
    assert run_script(df, df.instructions[1]) is None


def test_shell_is_per_stage_and_inherited_through_from() -> None:
    source = (
        'FROM x AS win\nSHELL ["pwsh", "-c"]\nRUN a\n'
        "FROM win AS child\nRUN b\n"
        "FROM x\nRUN c\n"
    )
    df = parse(source)
    runs: list[Instruction] = [i for i in df.instructions if i.keyword == "RUN"]
    assert [effective_shell(df, r)[0] for r in runs] == ["pwsh", "pwsh", "/bin/sh"]
    assert run_script(df, runs[1]) is None
    assert names(run_script(df, runs[2])) == ["c"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -|&;()<>{}$`'\"\\\n\t#=*é\x00")), max_size=60))
def test_any_run_text_gives_a_script(body: str) -> None:
    df = parse(f"FROM x\nRUN {body}\n")
    for instr in df.instructions:
        if instr.keyword == "RUN":
            result = run_script(df, instr)
            assert result is not None
            for cmd in result.commands:
                for w in (*cmd.words, *cmd.assignments):
                    assert 0 <= w.start_offset <= w.end_offset <= len(df.text)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("diff <(sort a) >(tee b) c", ["diff", "sort", "tee"]),
        ('cat `ls x` "$(id -u)" plain"quoted" \'$(not)\'', ["cat", "ls", "id"]),
        ("A=$(date) cmd --opt=\"$(uname -m)\"", ["cmd", "date", "uname"]),
        ('echo "just text" plain\\ word', ["echo"]),
    ],
)
def test_commands_inside_arguments_are_found(run: str, expected: list[str]) -> None:
    """Process and command substitutions run commands too (an `apt-get` in `$(...)` is an install);
    quoted text with no `$`, backquote or `<(` runs nothing."""
    df = parse(f"FROM x\nRUN {run}\n")
    assert sorted(names(run_script(df, df.instructions[1]))) == sorted(expected)


_PLAIN_WORD = st.text(alphabet=st.sampled_from(list("abz-_./é0")), max_size=6).map("a".__add__)  # never a flag


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PLAIN_WORD, st.sampled_from([" ", " \\\n  ", " \\\n# note\n\t", " && ", " \\\n\n | "])),
                min_size=1, max_size=12))
def test_words_on_continued_lines_point_at_their_text_in_the_file(parts: list[tuple[str, str]]) -> None:
    """Findings are placed by their words' offsets: across continuation lines, comment lines inside them
    and non-ASCII text, each word's span in the file reads as the word does."""
    body = "".join(word + gap for word, gap in parts).rstrip(" |&\\\n\t#note")
    df = parse(f"FROM x\nRUN {body}\n")
    script = run_script(df, df.instructions[1])
    assert script is not None
    words = [w for cmd in script.commands for w in cmd.words]
    assert words and [df.text[w.start_offset : w.end_offset] for w in words] == [w.raw for w in words]


def test_importing_the_shell_model_does_not_load_tree_sitter() -> None:
    code = "import sys, dlint.parsing.shell, dlint.parsing.packages; print('tree_sitter' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_grammar_loads_the_same_with_or_without_the_package_shortcut() -> None:
    """dlint loads tree-sitter-bash's compiled module directly (skipping its slow __init__); when that
    layout is not there it imports the package, and either way RUN scripts parse the same."""
    code = (
        "import sys, importlib.util\n"
        "from dlint.parsing import shell\n"
        "from dlint.parsing.dockerfile import parse\n"
        "if sys.argv[1] == 'fallback':\n"
        "    importlib.util.find_spec = lambda name, package=None: None\n"
        "df = parse('FROM a\\nRUN sudo apt-get update && apt-get install -y curl | tee log\\n')\n"
        "script = shell.run_script(df, df.instructions[1])\n"
        "print([[w.value for w in c.words] for c in script.commands])\n"
        "print('tree_sitter_bash' in sys.modules)\n"
    )
    runs = {
        way: subprocess.run([sys.executable, "-c", code, way], capture_output=True, text=True, check=True).stdout
        for way in ("direct", "fallback")
    }
    commands = "[['apt-get', 'update'], ['apt-get', 'install', '-y', 'curl'], ['tee', 'log']]"
    assert runs["direct"] == f"{commands}\nFalse\n"
    assert runs["fallback"] == f"{commands}\nTrue\n"
