"""Instruction flags BuildKit refuses are DL1000 at the flag, in BuildKit's words, and silence the other rules there."""

from __future__ import annotations

import pytest

from dlint.lint.engine import Selection, lint
from dlint.parsing.dockerfile import parse
from dlint.parsing.flags import csv_fields, go_duration

HEAD = "FROM debian:bookworm-slim AS build\n"


def refusals(text: str) -> list[tuple[int, str, str]]:
    """(line, the text the DL1000 spans, message) for each flag error."""
    df = parse(text, "Dockerfile")
    out = []
    for e in df.errors:
        assert e.instruction >= 0 and e.end is not None, e
        start = df.line_starts[e.line - 1] + e.column - 1
        end = df.line_starts[e.end[0] - 1] + e.end[1] - 1
        out.append((e.line, text[start:end], e.message))
    return out


@pytest.mark.parametrize(
    ("line", "span", "message"),
    [
        # The shapes.
        ("COPY --from build /x /y", "--from", "missing a value on flag: --from"),
        ("COPY --foo=bar /x /y", "--foo=bar", "unknown flag: --foo (did you mean from?)"),
        ("RUN --nosuchflag=1 true", "--nosuchflag=1", "unknown flag: --nosuchflag"),
        ("RUN --mount type=cache,target=/root true", "--mount", "missing a value on flag: --mount"),
        ("ADD --chown /x /w", "--chown", "missing a value on flag: --chown"),
        ("HEALTHCHECK --interval CMD true", "--interval", "missing a value on flag: --interval"),
        # Names, duplicates, booleans.
        ("copy --from build /x /y", "--from", "missing a value on flag: --from"),
        ('COPY --from build ["/x", "/y"]', "--from", "missing a value on flag: --from"),
        ("COPY --chmod=755 --chmod=644 a /b", "--chmod=644", "duplicate flag specified: --chmod"),
        ("COPY --link=maybe a /b", "--link=maybe", "expecting boolean value for flag --link, not: maybe"),
        ("COPY --link= a /b", "--link=", "missing a value on flag: --link"),
        ("COPY --FROM=build a /b", "--FROM=build", "unknown flag: --FROM"),
        ("ADD --from=build a /b", "--from=build", "unknown flag: --from"),
        ("ADD --unpack=no a.tar /b", "--unpack=no", "expecting boolean value for flag --unpack, not: no"),
        ("FROM --platform debian", "--platform", "missing a value on flag: --platform"),
        ("FROM --plattform=linux/amd64 debian", "--plattform=linux/amd64", "unknown flag: --plattform (did you mean platform?)"),
        ("ENV --x=1 A=b", "--x=1", "unknown flag: --x"),
        ("WORKDIR --chown=1 /w", "--chown=1", "unknown flag: --chown"),
        ('CMD --doit ["a"]', "--doit", "unknown flag: --doit"),
        ("ONBUILD --foo RUN x", "--foo", "unknown flag: --foo"),
        ("ONBUILD COPY --from x /a /b", "--from", "missing a value on flag: --from"),
        ("onbuild run --mount=type=cachy,target=/x true", "--mount=type=cachy,target=/x",
         'unsupported mount type "cachy" (did you mean cache?)'),
        # RUN's own flags.
        ("RUN --mount=type=bind,foo=bar true", "--mount=type=bind,foo=bar", "unexpected key 'foo' in 'foo=bar' (did you mean from?)"),
        ("RUN --mount=type=cache,target true", "--mount=type=cache,target", "invalid field 'target' must be a key=value pair"),
        ("RUN --mount=type=cache,sharing=lock,target=/x true", "--mount=type=cache,sharing=lock,target=/x",
         'unsupported sharing value "lock" (did you mean locked?)'),
        ("RUN --mount=type=bind,sharing=locked,target=/x true", "--mount=type=bind,sharing=locked,target=/x",
         "invalid cache sharing set for bind mount"),
        ("RUN --mount=type=bind,mode=0755,target=/x true", "--mount=type=bind,mode=0755,target=/x",
         'mode not allowed for "bind" type mounts'),
        ("RUN --mount=type=cache,uid=me,target=/x true", "--mount=type=cache,uid=me,target=/x", "invalid value me for uid"),
        ("RUN --mount=type=cache,mode=0999,target=/x true", "--mount=type=cache,mode=0999,target=/x", "invalid value 0999 for mode"),
        ("RUN --mount=type=cache,ro=maybe,target=/x true", "--mount=type=cache,ro=maybe,target=/x", "invalid value for ro: maybe"),
        ("RUN --mount=type=secret true", "--mount=type=secret", "invalid secret mount. one of source, target required"),
        ("RUN --mount=type=secret,id=x,from=y true", "--mount=type=secret,id=x,from=y", "secret mount should not have a from"),
        ("RUN --mount=required,type=secret,id=x true", "--mount=required,type=secret,id=x",
         "unexpected key 'required' for mount type 'bind'"),
        ("RUN --mount=type=cache,size=1g,target=/x true", "--mount=type=cache,size=1g,target=/x",
         "unexpected key 'size' for mount type 'cache'"),
        ("RUN --mount=from=$STAGE,target=/x true", "--mount=from=$STAGE,target=/x",
         "'from' doesn't support variable expansion, define alias stage instead"),
        ("RUN --mount= true", "--mount=", "failed to parse csv mounts: EOF"),
        ("RUN --network=bogus true", "--network=bogus", 'invalid network mode "bogus"'),
        ("RUN --network=$NET true", "--network=$NET", 'invalid network mode "$NET"'),
        ("RUN --security=root true", "--security=root", 'security "root" is not valid'),
        ("RUN --device=a,b true", "--device=a,b", "invalid field 'b' must be a key=value pair"),
        ("RUN --device=name=a,name=b true", "--device=name=a,name=b", "device name already set to a"),
        ("RUN --network=bogus --mount=type=bind,foo=bar true", "--network=bogus", 'invalid network mode "bogus"'),
        # HEALTHCHECK's values.
        ("HEALTHCHECK --interval=5 CMD true", "--interval=5", 'time: missing unit in duration "5"'),
        ("HEALTHCHECK --timeout=5x CMD true", "--timeout=5x", 'time: unknown unit "x" in duration "5x"'),
        ("HEALTHCHECK --start-period=1us CMD true", "--start-period=1us", 'Interval "start-period" cannot be less than 1ms'),
        ("HEALTHCHECK --retries=-1 CMD true", "--retries=-1", "--retries cannot be negative (-1)"),
        ("HEALTHCHECK --retries=three CMD true", "--retries=three", 'strconv.ParseInt: parsing "three": invalid syntax'),
        ("HEALTHCHECK --retries=1 --interval=1 CMD true", "--interval=1", 'time: missing unit in duration "1"'),
    ],
)
def test_refused_flag_is_reported_at_the_flag_in_buildkits_words(line, span, message):
    assert refusals(HEAD + line + "\n") == [(2, span, message)]


def test_flag_after_continuation_lines_is_reported_where_it_is():
    text = HEAD + "RUN \\\n  --network=none \\\n  # a comment\n  --mount type=cache,target=/root \\\n  true\n"
    assert refusals(text) == [(5, "--mount", "missing a value on flag: --mount")]


@pytest.mark.parametrize(
    "line",
    [
        "COPY --from=build /x /y",
        "COPY --from= /x /y",  # an empty value is a value
        "COPY --link /x /y",
        "COPY --link=false --parents --exclude=a --exclude=b --chown=1:1 --chmod=644 /x /y/",
        "copy --link=FALSE /x /y",
        "ADD --checksum=sha256:abc --keep-git-dir=true --unpack --link --exclude=*.md https://x/y /z",
        "FROM --platform=$BUILDPLATFORM debian",
        "RUN --mount=type=cache,target=/root true",
        "RUN --mount=type=cache,target=/root,sharing=locked,id=apt,mode=0755,uid=0,gid=0 true",
        "RUN --mount=from=build,target=/src true",
        "RUN --mount=type=bind,source=.,target=/src,rw true",
        "RUN --mount=type=secret,id=token,required=true,env=TOKEN true",
        "RUN --mount=type=ssh,required true",
        "RUN --mount=type=tmpfs,size=1g,target=/tmp true",
        "RUN --mount=type=$KIND,mode=0755,target=/x true",  # the build expands the type: dlint cannot tell
        "RUN --mount=type=cache,target=$DIR,uid=$UID true",
        "RUN --mount=type=secret,id=$SECRET true",
        'RUN --mount="type=cache,target=/root" true',
        "RUN --network=none true",
        "RUN --network=host --security=insecure true",
        "RUN --device=nvidia.com/gpu=all,required true",
        "RUN --mount=type=cache,target=/root -- true --not-a-flag",
        "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=0 --start-interval=5s --retries=3 CMD true",
        "HEALTHCHECK --interval=1.5h CMD true",
        "HEALTHCHECK --foo NONE",  # BuildKit reads no flags of HEALTHCHECK NONE
        "ARG --x=1 A=b",  # nor of ARG and STOPSIGNAL
        "STOPSIGNAL --x SIGTERM",
        "RUN echo --nosuchflag=1",  # a flag only before the first other word
    ],
)
def test_flag_buildkit_accepts_is_no_error(line):
    assert refusals(HEAD + line + "\n") == []


@pytest.mark.parametrize(
    ("syntax", "checked"),
    [("docker/dockerfile:1", True), ("docker/dockerfile:1.19-labs", True), ("docker.io/docker/dockerfile:1.7@sha256:ab", True),
     ("docker/dockerfile-upstream:master", True), ("example.com/acme/frontend:2", False), ("tonistiigi/dockerfile:x", False)],
)
def test_only_buildkits_own_frontend_is_held_to_its_flags(syntax, checked):
    """Another `# syntax=` frontend may take other flags: dlint cannot know them, so it says nothing."""
    assert bool(refusals(f"# syntax={syntax}\n{HEAD}COPY --foo=bar /x /y\n")) is checked


def test_no_other_rule_reports_on_a_refused_instruction():
    text = (
        "FROM debian:bookworm-slim AS build\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from build /x /y\n"  # DL3021 would read `build` as a source
        "ADD --chown /x /w\n"  # DL3020 would offer to turn it into COPY
        "RUN --mount type=cache,target=/root apt-get install curl\n"
        "ADD /x /w\n"
    )
    found, crashes = lint(parse(text, "Dockerfile"), Selection.default())
    assert not crashes
    by_line = {}
    for f in found:
        by_line.setdefault(f.line, set()).add(f.code)
    assert by_line[3] == by_line[4] == by_line[5] == {"DL1000"}
    assert "DL3020" in by_line[6]  # the same rule still speaks on an instruction BuildKit accepts
    dl1000 = next(f for f in found if f.code == "DL1000" and f.line == 4)
    assert (dl1000.column, dl1000.end_column, dl1000.fix) == (5, 12, None)


def test_refused_flag_on_a_non_ascii_line_has_byte_columns():
    found, _ = lint(parse(HEAD + "COPY --foo=é /x /y\n", "Dockerfile"), Selection(frozenset({"DL1000"})))
    assert [(f.column, f.end_column, f.byte_columns) for f in found] == [(6, 13, (6, 14))]


def test_a_long_unknown_flag_among_many_is_reported_once():
    long_name = "x" * 30000  # no close-match search runs over it: the lengths differ too much
    assert refusals(f"{HEAD}RUN --{long_name}=1 {'--y ' * 5000}true\n") == [
        (2, f"--{long_name}=1", f"unknown flag: --{long_name}")
    ]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("a,b", ["a", "b"]),
        ('"a,b",c', ["a,b", "c"]),
        ('"a""b"', ['a"b']),
        ("a,", ["a", ""]),
        ('a"b', 'parse error on line 1, column 2: bare " in non-quoted-field'),
        ('"ab', 'parse error on line 1, column 2: extraneous or missing " in quoted-field'),
        ('"a"b', 'parse error on line 1, column 3: extraneous or missing " in quoted-field'),
    ],
)
def test_mount_values_split_as_go_csvvalue_does(text, fields):
    assert csv_fields(text) == fields


@pytest.mark.parametrize(
    ("text", "nanos"),
    [("0", 0), ("1h30m", 5400 * 10**9), ("1.5s", 1_500_000_000), ("-2ms", -2_000_000), (".5us", 500),
     ("", 'time: invalid duration ""'), ("1", 'time: missing unit in duration "1"'), ("s", 'time: invalid duration "s"'),
     ("9999999999h", 'time: invalid duration "9999999999h"')],
)
def test_healthcheck_durations_read_as_go_does(text, nanos):
    assert go_duration(text) == nanos
