"""BuildKit's build checks as dlint reports them, and the `# check=` directive that BuildKit honours."""

from __future__ import annotations

from pathlib import Path

from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Level
from dlint.lint.fix import fix_text
from dlint.parsing.dockerfile import parse

ROOT = Path(__file__).resolve().parents[1]
BUILDKIT = ("DLB001", "DLB002", "DLB003", "DLB004", "DL4000")
MIXED = "FROM debian:bookworm-slim as Build\nMAINTAINER x\nrun true\nEXPOSE 80/TCP 53/udp\n"


def found(text: str, *codes: str):
    findings, crashes = lint(parse(text, "Dockerfile"), Selection(frozenset(codes or BUILDKIT)))
    assert not crashes
    return findings


def seen(text: str, *codes: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in found(text, *codes)]


def test_buildkit_checks_report_where_buildkit_does():
    assert seen(MIXED) == [
        (1, 1, "DLB002"), (1, 27, "DLB001"), (2, 1, "DL4000"), (3, 1, "DLB004"), (4, 1, "DLB003")
    ]


def test_casing_follows_the_majority_and_from():
    lower = "from debian:bookworm-slim AS b\nrun true\nRUN true\ncopy a /a\n"
    assert seen(lower, "DLB001", "DLB004") == [(1, 27, "DLB001"), (3, 1, "DLB004")]
    assert seen("FROM a AS b\nFROM b as c\n", "DLB001") == [(2, 8, "DLB001")]


def test_case_fixes_change_only_the_case():
    text = "FROM debian:bookworm-slim as b\nrun true\nEXPOSE 80/TCP\n"
    fixed = fix_text(text, "Dockerfile", Selection(frozenset(BUILDKIT)))[0].text
    assert fixed == "FROM debian:bookworm-slim AS b\nRUN true\nEXPOSE 80/tcp\n"


def test_expose_fix_lowers_each_written_protocol_even_when_repeated():
    text = "FROM debian\nEXPOSE 8080/udp 80/TCP 80/TCP \\\n  443/Udp\n"
    fixed = fix_text(text, "Dockerfile", Selection(frozenset({"DLB003"})))[0].text
    assert fixed == "FROM debian\nEXPOSE 8080/udp 80/tcp 80/tcp \\\n  443/udp\n"


def test_casing_fix_leaves_a_keyword_split_by_a_continuation_and_fixes_the_rest():
    # `ru\` + `n echo c` reads as `run echo c`; rewriting the first three characters dropped the `\`.
    text = "FROM debian\nRUN echo a\nRUN echo b\nru\\\nn echo c\nexpose 80\n"
    result = fix_text(text, "Dockerfile", Selection(frozenset({"DLB004"})))[0]
    assert result.error is None
    assert result.text == "FROM debian\nRUN echo a\nRUN echo b\nru\\\nn echo c\nEXPOSE 80\n"


def test_check_directive_skips_named_checks_by_their_buildkit_names():
    text = "# check=skip=FromAsCasing, StageNameCasing\n" + MIXED
    assert [c for _, _, c in seen(text)] == ["DL4000", "DLB004", "DLB003"]


def test_check_directive_skip_all_and_error():
    assert seen("# check=skip=all\n" + MIXED) == []
    levels = {f.code: f.level for f in found("# check=error=true\n" + MIXED + "RUN cd /x\n", *BUILDKIT, "DL3003")}
    assert levels["DLB004"] == levels["DL4000"] == Level.ERROR
    assert levels["DL3003"] == Level.WARNING  # not a BuildKit check: unchanged


def test_check_directive_buildkit_would_reject_changes_nothing():
    for bad in ("# check=skip", "# check=error=maybe", "# check=colour=red"):
        assert len(seen(bad + "\n" + MIXED)) == 5


def test_undefined_variables_are_hinted_with_the_nearest_defined_name():
    text = "ARG VERSION=1\nFROM debian:$VERSON\nENV HOME_DIR=/srv\nWORKDIR $HOME_DIRR\nCOPY x $NOWHERE_NEAR\n"
    messages = [f.message for f in found(text, "DLB006", "DLB007")]
    assert messages == [
        "FROM argument 'VERSON' is not declared (did you mean VERSION?)",
        "Usage of undefined variable '$HOME_DIRR' (did you mean $HOME_DIR?)",
        "Usage of undefined variable '$NOWHERE_NEAR'",
    ]


def test_hints_stop_before_thousands_of_names_make_the_file_quadratic(monkeypatch):
    """Every undefined use is still reported; only the courtesy hint is dropped once a file has spent its budget."""
    from dlint.lint.checks import buildkit_args

    calls = []
    real = buildkit_args.levenshtein
    monkeypatch.setattr(buildkit_args, "levenshtein", lambda a, b: calls.append(1) or real(a, b))
    n = 3000
    text = "FROM scratch\n" + "".join(f"ENV V{i}=x\n" for i in range(n)) + "".join(f"ENV W{i}=$U{i}\n" for i in range(n))
    findings = found(text, "DLB007")
    assert len(findings) == n
    assert findings[0].message.endswith("(did you mean $V0?)")
    assert findings[-1].message == f"Usage of undefined variable '$U{n - 1}'"
    assert len(calls) < buildkit_args.HINT_BUDGET // 4  # n * n = 9,000,000 distances without the budget


def test_values_doubled_line_after_line_are_not_built_and_not_judged():
    """`G1=$G0$G0`, `G2=$G1$G1`, ... asks for 2**60 bytes: past MAX_EXPANDED a value is unknown, so no
    DLB010 about a base name dlint could not expand, and the parser's FROM matching stays small."""
    n = 60
    args = "".join(f"ARG G{i}=$G{i - 1}$G{i - 1}\n" for i in range(1, n))
    env = "".join(f"ENV E{i}=$E{i - 1}$E{i - 1}\n" for i in range(1, n))
    text = f"ARG G0=ab\n{args}FROM debian:$G{n - 1}\nENV E0=ab\n{env}COPY $E{n - 1} /x\nCOPY $MISSING /y\n"
    assert [f.message for f in found(text, "DLB006", "DLB007", "DLB010")] == [
        "Usage of undefined variable '$MISSING'"
    ]
    short = "ARG G0=ab\nARG G1=$G0$G0\nARG G2=$G1:x\nFROM debian:$G2\n"
    assert seen(short, "DLB010") == [(4, 1, "DLB010")]  # `debian:abab:x` is no image name: still reported


def test_invalid_default_arg_in_from_checks_every_from_as_buildkit_does():
    capital_tag = "ARG V=RELEASE.2025-09-07T16-13-09Z\nFROM quay.io/minio/minio:${V} AS minio\n"
    assert seen(capital_tag, "DLB010") == []  # a tag may hold capitals; the repository path may not
    assert seen("ARG V=x\nFROM Quay.io/Minio/minio:${V}\n", "DLB010") == [(2, 1, "DLB010")]
    assert seen("FROM REPLACE-ME\nRUN true\n", "DLB010") == [(1, 1, "DLB010")]
    assert seen("FROM scratch\nFROM debian:bookworm AS build\n", "DLB010") == []


def test_check_experimental_enables_the_experimental_check_for_that_file():
    body = "# a non-descriptive comment\nFROM scratch AS base\n"
    default = Selection.default()
    assert "DLB014" not in default.codes  # opt-in, as BuildKit leaves it off
    codes = lambda text: [f.code for f in lint(parse(text, "Dockerfile"), default)[0] if f.code == "DLB014"]
    assert codes(body) == []
    assert codes("# check=experimental=InvalidDefinitionDescription\n" + body) == ["DLB014"]
    assert codes("# check=experimental=all\n" + body) == ["DLB014"]
    assert codes("# check=skip=all;experimental=all\n" + body) == ["DLB014"]  # skip never reaches it
    assert codes("# check=skip=InvalidDefinitionDescription;experimental=InvalidDefinitionDescription\n" + body) == ["DLB014"]
    assert codes("# check=experimental=JSONArgsRecommended\n" + body) == []
    assert found("# check=skip=all\n" + body, "DLB014") != []  # selected by the user: skip=all leaves it to them


def _copy_ignored(tmp_path, ignore: str, dockerfile: str) -> list[str]:
    (tmp_path / ".dockerignore").write_text(ignore)
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    findings, _ = lint(parse(dockerfile, str(path)), Selection(frozenset({"DLB012"})))
    return [f.message for f in findings]


def test_copy_ignored_file_reads_the_context_dockerignore(tmp_path):
    assert _copy_ignored(tmp_path, "secrets/\n*.log\n", "FROM scratch\nCOPY secrets/id /id\nCOPY app.log /x\nCOPY src /src\n") == [
        'Attempting to Copy file "secrets/id" that is excluded by .dockerignore',
        'Attempting to Copy file "app.log" that is excluded by .dockerignore',
    ]


def test_a_dockerignore_that_is_no_regular_file_is_not_read(tmp_path):
    """A FIFO (or a symlink to /dev/stdin) would block the lint forever: it is refused on its stat, unopened."""
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / ".dockerignore")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    run = subprocess.run([sys.executable, "-m", "dlint", "check", "--select", "DLB012", "Dockerfile"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30, check=False)
    assert (run.returncode, run.stderr) == (0, "dlint: no findings in 1 file\n")


def test_thousands_of_patterns_against_thousands_of_copies_stop_at_the_budget(tmp_path, monkeypatch):
    from dlint.lint.dockerignore import Pattern

    tries = []
    real = Pattern.match
    monkeypatch.setattr(Pattern, "match", lambda self, path: tries.append(1) or real(self, path))
    n = 3000
    ignore = "".join(f"dir{i}/**/x*.tmp\n" for i in range(n)) + "src0/a.txt\n"
    messages = _copy_ignored(tmp_path, ignore, "FROM scratch\n" + "".join(f"COPY src{i}/a.txt /a{i}\n" for i in range(n)))
    assert messages == ['Attempting to Copy file "src0/a.txt" that is excluded by .dockerignore']
    assert len(tries) < 600_000  # n * n * 3 = 27,000,000 without the budget


def _doubled(name: str, keyword: str, copies: int) -> str:
    """Fifteen doublings make one 32 KiB value of `name`; then `copies` lines copying it."""
    lines = ["FROM scratch" if keyword == "ENV" else "", f"{keyword} {name}0=aa"]
    lines += [f"{keyword} {name}{i}=${name}{i - 1}${name}{i - 1}" for i in range(1, 15)]
    lines += [f"{keyword} A{i}=${name}14" for i in range(copies)]
    if keyword == "ARG":
        lines += ["FROM scratch"]
    return "\n".join(lines + ["LABEL a=$UNDEFINED_AT_THE_END", ""])


def test_copies_of_a_long_value_stay_in_bounded_memory_and_undefined_names_are_still_found(tmp_path):
    from tests.peak import run_measured

    code = ("import sys\nfrom dlint.lint.engine import Selection, lint\nfrom dlint.parsing.dockerfile import parse\n"
            "findings, _ = lint(parse(open(sys.argv[1]).read(), 'Dockerfile'), Selection.default())\n"
            "print(sorted({f.code for f in findings}))")
    for keyword in ("ENV", "ARG"):
        path = tmp_path / f"{keyword}.Dockerfile"
        path.write_text(_doubled("B", keyword, 8000))
        returncode, out, peak = run_measured(code, str(path))
        assert returncode == 0
        assert peak < 130 * 1024, f"{keyword}: {peak // 1024} MB"  # each copy was kept: 280 MB
        if keyword == "ENV":
            assert "DLB007" in out  # the undefined variable after them is still reported


def test_a_base_image_name_over_255_characters_from_a_default_is_invalid():
    text = _doubled("B", "ARG", 0).replace("FROM scratch\nLABEL", "FROM $B3\nFROM $B14\nLABEL")
    found = [f.line for f in lint(parse(text, "Dockerfile"), Selection.default())[0] if f.code == "DLB010"]
    assert found == [text.splitlines().index("FROM $B14") + 1]  # 16 a's are a name; 32,768 are not
