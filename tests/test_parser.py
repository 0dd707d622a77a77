"""The parser against BuildKit: its own parser tests, its parse of the real corpus, and its Go binding."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from machine import CORPUS, needed_module

from dlint.model import Dockerfile, Instruction
from dlint.parsing.dockerfile import parse

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "parser"


def corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/corpus not found: {path}")
    return path


def corpus_dirs(name: str) -> list[str]:
    path = CORPUS / name
    return sorted(os.listdir(path)) if path.is_dir() else []


@cache
def real_files() -> dict[str, str]:
    """Corpus-relative path -> text for every file in real/ (os.walk: 11 names start with '.')."""
    root = corpus("real")
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            out[path.relative_to(CORPUS).as_posix()] = path.read_text(encoding="utf-8")
    return out


@cache
def baseline() -> dict[str, list[dict]]:
    return json.loads(corpus("baselines", "buildkit-parse.json").read_text(encoding="utf-8"))


# --- BuildKit's `Node.Dump()` rebuilt from the model --------------------------------------------

_GO_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f",
    "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
}


def go_quote(s: str) -> str:
    """Go's strconv.Quote, which BuildKit's test results use."""
    out = []
    for ch in s:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def flag_text(flag) -> str:
    return "--" + flag.name + ("" if flag.value is None else "=" + flag.value)


def dump(ins: Instruction) -> str:
    """`(cmd ["--flag"] "v1" ...)` exactly as BuildKit's parser tests print a node."""
    out = ins.raw_keyword.lower()
    if ins.flags:
        out += " [" + " ".join(go_quote(flag_text(f)) for f in ins.flags) + "]"
    if ins.trigger is not None:
        out += " " + dump(ins.trigger)
    else:
        out += "".join(" " + go_quote(v) for v in ins.values)
    return "(" + out.strip() + ")"


def test_corpus_holds_the_expected_cases():
    corpus()
    assert len(corpus_dirs("buildkit-parser")) == 33
    assert len(corpus_dirs("buildkit-parser-negative")) == 4
    assert len(real_files()) == len(baseline()) == 701


@pytest.mark.parametrize("name", corpus_dirs("buildkit-parser") or ["(corpus missing)"])
def test_buildkit_parser_test(name):
    case = corpus("buildkit-parser", name)
    df = parse((case / "Dockerfile").read_text(encoding="utf-8"), str(case / "Dockerfile"))
    expected = (case / "result").read_text(encoding="utf-8").splitlines()
    assert [dump(i) for i in df.instructions] == expected
    # BuildKit's parser accepts these; six of them have no FROM and `flags` has flags no instruction
    # takes, which only a build (its instructions package) rejects.
    flag_errors = [(e.line, e.message) for e in df.errors if e.instruction >= 0]
    assert flag_errors == (FLAGS_TEST_ERRORS if name == "flags" else [])
    others = [
        (e.line, e.message) for e in df.errors if e.instruction < 0 and e.message != "no build stage in current context"
    ]
    assert others == (HEALTH_TEST_ERRORS if name == "health" else [])


# What BuildKit's instructions.Parse says about parser test `flags` (CMD and COPY take no --doit / --user).
FLAGS_TEST_ERRORS = [
    (3, "unknown flag: --user"), (4, "unknown flag: --doit"), (5, "unknown flag: --user"), (6, "unknown flag: --doit"),
    (8, "unknown flag: --doit"), (9, "unknown flag: --doit"), (10, "unknown flag: --doit"),
]


# What BuildKit's instructions.Parse says about parser test `health`'s arguments (argcounts.py): each of these
# lines alone stops a build.
HEALTH_TEST_ERRORS = [
    (4, "HEALTHCHECK requires at least one argument"), (7, "Missing command after HEALTHCHECK CMD"),
    (10, 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)'),
]


NEGATIVE = {
    "empty_dockerfile": ("file with no instructions", 1),
    "only_comments": ("file with no instructions", 3),
    "env_no_value": ("ENV must have two arguments", 3),
    "shykes-nested-json": ("when using JSON array syntax, arrays must be comprised of strings only", 1),
}


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_buildkit_negative_test_is_a_parse_error(name):
    path = corpus("buildkit-parser-negative", name, "Dockerfile")
    df = parse(path.read_text(encoding="utf-8"), str(path))
    message, line = NEGATIVE[name]
    assert (df.errors[0].message, df.errors[0].line) == (message, line)


def _buildkit_view(df: Dockerfile) -> list[tuple]:
    """What buildkit-parse.json records per instruction, from our model."""
    out = []
    for ins in df.instructions:
        shown = ins.trigger or ins
        values = list(shown.values)
        if shown.keyword in ("ENV", "LABEL"):  # the binding drops BuildKit's separator
            del values[2::3]
        heredocs = [] if ins.trigger else [(h.name, h.fd, h.body) for h in ins.heredocs]
        out.append(
            (ins.raw_keyword, ins.start_line, ins.end_line, [flag_text(f) for f in ins.flags], values,
             shown.json_args is not None, heredocs)
        )
    return out


def _baseline_view(records: list[dict], df: Dockerfile) -> list[tuple]:
    out = []
    for rec, ins in zip(records, df.instructions, strict=False):
        heredocs = []
        for doc, mine in zip(rec["heredocs"], ins.heredocs, strict=False):
            # The binding gives BuildKit's raw content; `<<-` tabs come off when BuildKit uses it.
            body = re.sub(r"(?m)^\t+", "", doc["content"]) if mine.chomp else doc["content"]
            heredocs.append((doc["name"], doc["fd"], body))
        heredocs += [("missing",)] * (len(rec["heredocs"]) - len(heredocs))
        out.append(
            (rec["cmd"], rec["start_line"], rec["end_line"], rec["flags"], rec["value"], rec["json"], heredocs)
        )
    return out + [("missing",)] * (len(records) - len(out))


def _assert_positions_map_back(df: Dockerfile) -> None:
    """Every logical character of an instruction's arguments sits at its offset in the file."""
    for ins in df.instructions:
        for i, ch in enumerate(ins.args.value):
            assert df.text[ins.args.source_offset(i)] == ch, (ins.start_line, i)
        assert df.text.startswith(ins.raw_keyword, ins.start_offset)
        assert df.position(ins.end_offset)[0] == ins.end_line


@pytest.mark.parametrize("rel", sorted(baseline()) if CORPUS.exists() else ["(corpus missing)"])
def test_real_file_matches_buildkit(rel):
    text = real_files().get(rel)
    if text is None:
        corpus(rel)
    df = parse(text, rel)
    assert _buildkit_view(df) == _baseline_view(baseline()[rel], df)
    _assert_positions_map_back(df)


def test_the_only_real_error_is_the_broken_fedora_file():
    errors = {rel: parse(text, rel).errors for rel, text in real_files().items()}
    broken = {rel: [(e.message, e.line) for e in errs] for rel, errs in errors.items() if errs}
    assert broken == {
        "real/fedora-cloud__Fedora-Dockerfiles/haskell__Dockerfile": [
            ("unknown instruction: ghc-unordered-containers-devel", 32)
        ]
    }


# --- differential test against BuildKit's Go parser (the `dockerfile` binding) -----------------


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        kind = rng.randrange(9)
        if kind == 0:
            lines.insert(i, "")
        elif kind == 1:
            lines.insert(i, rng.choice(["# note", "   # indented note", "#"]))
        elif kind == 2:
            lines[i] += rng.choice([" \\", "\\", " \\  ", "\\\\", " \\\\ \\"])
        elif kind == 3 and len(lines) > 1:
            del lines[i]
        elif kind == 4:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 5:
            lines[i] = rng.choice(["  ", "\t", " \\"]) + lines[i]
        elif kind == 6:
            j = rng.randrange(i, len(lines))
            marker = rng.choice(["<<EOF", "<<-EOF", "cat <<'EOF'", '3<<"EOF" x', "<<EOF <<EOT"])
            lines[i] = f"RUN {marker} {lines[i]}"
            lines.insert(j + 1, rng.choice(["EOF", "\tEOF", "EOT"]))
        elif kind == 7:
            lines[i] = lines[i].replace(" ", rng.choice(['"', "'", " -- ", " --x "]), 1)
        else:
            lines[i] += "\r"
    out = "\n".join(lines)
    return out.rstrip("\n") if rng.random() < 0.3 else out


def _newer_than_binding(df: Dockerfile) -> bool:
    """Input on which BuildKit changed since the binding's 0.12, dlint following the newer one.

    `RUN ["a"] more` was exec form and is shell form since moby/buildkit#5107;
    `${x%y}`, `${x#y}`, `${x/y/z}`, `${x-y}` were lexer errors, which hid heredocs on their line.
    """
    for ins in df.instructions:
        args = (ins.trigger or ins).args.value
        tail = args[args.find("[") :] if "[" in args else ""  # HEALTHCHECK's JSON follows its type
        try:
            if json.JSONDecoder().raw_decode(tail)[1] < len(tail):
                return True
        except ValueError:
            pass
    return "<<" in df.text and re.search(r"\$\{\w*[-+#%/]", df.text) is not None


# Errors from BuildKit's instruction layer: its parser (the binding) accepts the file, a build does not.
BUILD_TIME_ERRORS = (
    "unknown instruction", "no build stage in current context", "dockerfile contains no stages",
    "FROM requires either one or three arguments", "invalid name for build stage",
    "line continuation with no instruction", "Chaining ONBUILD", "more than 50 errors",
    # argcounts.py: arguments the instructions package refuses
    "ADD requires", "COPY requires", "MAINTAINER requires", "WORKDIR requires", "USER requires", "STOPSIGNAL requires",
    "ONBUILD requires", "EXPOSE requires", "VOLUME requires", "ARG requires", "ENV requires", "LABEL requires",
    "SHELL requires", "HEALTHCHECK requires", "HEALTHCHECK NONE takes no arguments", "Unknown type",
    "Missing command after HEALTHCHECK CMD", "VOLUME specified can not be an empty string",
    "ARG names can not be blank",
)


def test_same_parse_as_buildkit_binding_on_mutated_files():
    dockerfile = needed_module("dockerfile", "BuildKit's parser")
    sources = [
        corpus("buildkit-parser", n, "Dockerfile").read_text(encoding="utf-8") for n in corpus_dirs("buildkit-parser")
    ]
    sources += [real_files()[rel] for rel in sorted(real_files())[::25]]
    rng = random.Random(20240601)
    compared = rejected = 0
    for _ in range(600):
        text = _mutate(rng.choice(sources), rng)
        if "\x00" in text or "\\u0000" in text:  # the binding cuts strings at NUL
            continue
        ours = parse(text)
        if _newer_than_binding(ours):
            continue
        try:
            theirs = dockerfile.parse_string(text)
        except dockerfile.GoParseError:
            assert ours.errors, text
            rejected += 1
            continue
        records = [
            {
                "cmd": c.cmd or "", "start_line": c.start_line, "end_line": c.end_line, "flags": list(c.flags),
                "value": list(c.value), "json": c.json,
                "heredocs": [{"name": h.name, "fd": h.file_descriptor, "content": h.content} for h in c.heredocs],
            }
            for c in theirs
        ]
        assert _buildkit_view(ours) == _baseline_view(records, ours), text
        assert all(
            e.message.startswith(BUILD_TIME_ERRORS) or "ONBUILD trigger" in e.message or e.instruction >= 0  # a flag
            for e in ours.errors
        ), text
        compared += 1
    assert compared > 400 and rejected > 5


# --- model details --------------------------------------------------------------------------------


def test_logical_characters_map_back_across_continuations_and_comment_lines():
    text = (FIXTURES / "continuation.Dockerfile").read_text(encoding="utf-8")
    df = parse(text)
    run = df.instructions[1]
    assert run.args.value == "apt-get update     && apt-get install -y        curl"
    assert (run.start_line, run.end_line) == (2, 6)
    amp = run.args.value.index("&&")
    assert df.position(run.args.source_offset(amp)) == (5, 5)
    curl = run.args.value.index("curl")
    assert df.position(run.args.source_offset(curl)) == (6, 8)
    assert df.text_of(run) == text[text.index("RUN") : text.rindex("curl") + 4]
    _assert_positions_map_back(df)


def test_flags_stop_at_the_first_other_word_and_keep_their_spans():
    text = "FROM a\nRUN --mount=type=cache,target=/root/.cache \\\n  --network=none pip install --no-deps x\n"
    df = parse(text)
    run = df.instructions[1]
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/root/.cache"), ("network", "none")]
    assert [text[f.start_offset : f.end_offset] for f in run.flags] == [
        "--mount=type=cache,target=/root/.cache",
        "--network=none",
    ]
    assert run.flag("mount").options() == {"type": "cache", "target": "/root/.cache"}
    assert run.args.value == "pip install --no-deps x"
    copy = parse("FROM a\nCOPY --link -- --from=x /y\n").instructions[1]
    assert [f.name for f in copy.flags] == ["link"]
    assert copy.values == ("--from=x", "/y")


def test_exec_form_needs_valid_json_of_strings():
    df = parse('FROM a\nCMD ["a", "b"]\nCMD [\'a\']\nENTRYPOINT ["a",]\nRUN [ "x" ] \n')
    assert [i.json_args for i in df.instructions[1:]] == [("a", "b"), None, None, ("x",)]
    assert df.instructions[2].args.value == "['a']"


def test_exec_form_lone_surrogate_escape_becomes_replacement_character_as_in_go():
    df = parse('FROM a\nCMD ["a\\ud800b", "\\ud83d\\ude00", "\\udfff"]\n')
    assert df.instructions[1].json_args == ("a\ufffdb", "\U0001f600", "\ufffd")


def test_heredoc_bodies_and_spans():
    path = FIXTURES / "heredocs.Dockerfile"
    df = parse(path.read_text(encoding="utf-8"), str(path))
    assert df.errors == []
    assert df.directives.syntax == "docker/dockerfile:1"
    assert [(i.keyword, i.start_line, i.end_line) for i in df.instructions] == [
        ("FROM", 2, 2), ("RUN", 3, 6), ("COPY", 7, 9), ("RUN", 10, 14), ("RUN", 15, 15),
    ]
    run, copy, two, plain = df.instructions[1:]
    (doc,) = run.heredocs
    assert (doc.name, doc.body, doc.start_line, doc.end_line, doc.expand) == (
        "EOF", "apk add --no-cache curl\necho done\n", 4, 6, True,
    )
    assert df.position(doc.body_offset) == (4, 1) and df.position(doc.terminator_offset) == (6, 1)
    (conf,) = copy.heredocs
    assert (conf.name, conf.body, conf.chomp, conf.expand) == ("CONF", "key=value\n", True, False)
    assert [(h.name, h.body, h.start_line, h.end_line, h.expand) for h in two.heredocs] == [
        ("PY", 'print("hi")\n', 11, 12, True),
        ("SH", "echo $HOME\n", 13, 14, False),
    ]
    assert plain.heredocs == ()


def test_heredoc_edge_cases():
    df = parse("FROM a\nRUN <<EOF\nEOF\nRUN [\"<<EOF\"]\nCOPY 2<<X /a\nX\n")
    empty, exec_form, fd = df.instructions[1:]
    assert (empty.heredocs[0].body, empty.heredocs[0].start_line, empty.end_line) == ("", 3, 3)
    assert exec_form.heredocs == () and exec_form.end_line == 4
    assert fd.heredocs[0].fd == 2
    onbuild = parse("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n").instructions[1]
    assert onbuild.trigger.keyword == "RUN" and onbuild.end_line == 4
    assert onbuild.heredocs == onbuild.trigger.heredocs != ()


def test_comments_directly_above_an_instruction():
    df = parse("# syntax=docker/dockerfile:1\n# Build stage\nFROM alpine\n# old\n#\n# installs curl\n\nRUN x\nRUN y\n")
    assert [[c.text for c in i.comments] for i in df.instructions] == [["Build stage"], ["installs curl"], []]
    assert df.instructions[1].comments[0].line == 6


def test_directives_only_at_the_very_top():
    df = parse("# escape=`\n# check=skip=all\nFROM windows\nRUN dir `\n  c:\\\n")
    assert df.directives == type(df.directives)(syntax=None, escape="`", check="skip=all")
    assert df.instructions[1].args.value == "dir   c:\\"
    late = parse("# hello\n# escape=`\nFROM a\nRUN x `\n")
    assert late.directives.escape == "\\" and late.instructions[1].args.value == "x `"
    blank = parse("\n# syntax=x\nFROM a\n")
    assert blank.directives.syntax is None
    twice = parse("# escape=`\n# escape=\\\nFROM a\n")
    assert [(e.message, e.line) for e in twice.errors] == [("only one escape parser directive can be used", 2)]


def test_continuation_rules():
    df = parse("FROM a\nENV C trailing\\\\\nENV D d\nRUN foo \\\n\n# c\nbar \\")
    assert [(i.keyword, i.start_line, i.end_line) for i in df.instructions] == [
        ("FROM", 1, 1), ("ENV", 2, 2), ("ENV", 3, 3), ("RUN", 4, 7),
    ]
    assert df.instructions[3].args.value == "foo bar"


def test_stages_aliases_parents_and_what_ships():
    path = FIXTURES / "stages.Dockerfile"
    df = parse(path.read_text(encoding="utf-8"), str(path))
    assert df.errors == []
    assert [i.stage for i in df.global_args] == [-1, -1]
    got = [(s.index, s.alias, s.base, s.parent, s.ships) for s in df.stages]
    assert got == [
        (0, "builder", "golang:1.22", None, True),
        (1, "test", "builder", 0, False),  # reached only through COPY --from
        (2, "tools-linux", "scratch", None, True),  # a stage `unused` may build on
        (3, "tools-darwin", "scratch", None, True),
        (4, "release-base", "${BASE}", 0, True),  # ARG BASE=builder
        (5, "unused", "tools-$VARIANT", None, True),  # nothing later uses it: a build target
        (6, None, "release-base", 4, True),
    ]
    assert df.stages[0].platform == "$BUILDPLATFORM"
    assert [i.keyword for i in df.stages[6].instructions] == ["FROM", "COPY"]
    assert df.stage_of(df.instructions[-1]) is df.stages[6]


def test_a_platform_dependent_from_ships_every_stage_it_can_name():
    df = parse("FROM scratch AS bin-linux\nFROM scratch AS bin-windows\nFROM alpine AS other\nFROM bin-$TARGETOS\n")
    # `other` is used by no later stage: a target someone can build with --target, so it ships too.
    assert [(s.parent, s.ships) for s in df.stages] == [(None, True), (None, True), (None, True), (None, True)]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("FROM a\nRUNN x\n", "unknown instruction: RUNN (did you mean RUN?)", 2),
        ("FROM a\n\nRUN <<EOF\nx\n", "unterminated heredoc: no line 'EOF' ends <<EOF", 3),
        ("RUN x\nFROM a\n", "no build stage in current context", 1),
        ("ARG A=1\n", "dockerfile contains no stages to build", 1),
        ("FROM a b\n", "FROM requires either one or three arguments", 1),
        ("FROM a\nENV a=1 b\n", 'Syntax error - can\'t find = in "b". Must be of the form: name=value', 2),
        ("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\", 1),
        ("FROM a\n\\\n", "line continuation with no instruction after it", 2),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", 2),
        ("FROM a\nRUN " + "x" * 70000 + "\n", "dockerfile line greater than max allowed size of 65535", 2),
        # the instructions package's argument checks (argcounts.py): BuildKit's parser accepts these, a build does not
        ("FROM a\nCOPY a\n", "COPY requires at least two arguments, but only one was provided. Destination could "
         "not be determined", 2),
        ("FROM a\nCOPY --bogus a\n", "COPY requires at least two arguments, but only one was provided. Destination "
         "could not be determined", 2),  # counted before the flags are read
        ("FROM a\nSHELL --bogus sh\n", "unknown flag: --bogus", 2),  # the flags first
        ("FROM a\nSHELL /bin/bash -c\n", "SHELL requires the arguments to be in JSON form", 2),
        ("FROM a\nSHELL []\n", "SHELL requires at least one argument", 2),
        ("FROM a\nEXPOSE\n", "EXPOSE requires at least one argument", 2),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument", 2),
        ("FROM a\nUSER\n", "USER requires exactly one argument", 2),
        ("FROM a\nVOLUME [\"\"]\n", "VOLUME specified can not be an empty string", 2),
        ("FROM a\nARG =1\n", "ARG names can not be blank", 2),
        ("FROM a\nENV\n", "ENV requires at least one argument", 2),
        ("FROM a\nENV A\n", "ENV must have two arguments", 2),  # the parser's, not counted again
        ("FROM a\nONBUILD\n", "ONBUILD requires at least one argument", 2),
        ("FROM a\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments", 2),
        ("FROM a\nHEALTHCHECK --interval=5 CMD\n", "Missing command after HEALTHCHECK CMD", 2),
    ],
)
def test_parse_errors_say_what_and_where(text, message, line):
    assert [(e.message, e.line) for e in parse(text).errors] == [(message, line)]


def test_bad_text_never_raises():
    for text in ["", "\\", "\x00", "FROM a\x00b\nRUN \x00", "FROM a\nRUN <<'EOF\n", "\ufeffFROM a\r\n", "\r\r\n\\\r\n"]:
        df = parse(text)
        assert all(0 <= i.start_offset <= i.end_offset <= len(text) for i in df.instructions)


def test_import_is_cheap_and_dockerfile_parse_loads_only_for_variable_from():
    code = (
        "import sys; import dlint.parsing.dockerfile as d;"
        "d.parse('FROM a AS b\\nFROM b\\n');"
        "print(any(m in sys.modules for m in ('dockerfile_parse', 'docker', 'tabulate', 'rich', 'pydantic')));"
        "d.parse('ARG X=b\\nFROM a AS b\\nFROM $X\\n'); print('dockerfile_parse' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
