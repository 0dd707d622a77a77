"""`dlint analyse` before it connects to an engine: bad input refused, and the lint findings it will report."""

from __future__ import annotations

import pytest

from dlint.analyse.command import AnalyseOptions, UsageError, prepare


@pytest.fixture
def dockerfile(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\nCOPY a /a\n")
    return path


def test_a_missing_dockerfile_is_named_not_its_directory(tmp_path):
    missing = tmp_path / "no-such-dir" / "Dockerfile"
    with pytest.raises(UsageError) as info:
        prepare(AnalyseOptions(dockerfile=str(missing)))
    assert str(missing) in str(info.value)
    assert "context" not in str(info.value)


@pytest.mark.parametrize("where", ["output", "save_baseline"])
def test_an_unwritable_report_path_is_refused_before_building(dockerfile, tmp_path, where):
    bad = str(tmp_path / "no-such-dir" / "report.json")
    options = (AnalyseOptions(dockerfile=str(dockerfile), outputs=(("json", bad),)) if where == "output"
               else AnalyseOptions(dockerfile=str(dockerfile), save_baseline=bad))
    with pytest.raises(UsageError, match="no such directory"):
        prepare(options)


def test_a_directory_as_report_path_is_refused(dockerfile, tmp_path):
    with pytest.raises(UsageError, match="is a directory"):
        prepare(AnalyseOptions(dockerfile=str(dockerfile), outputs=(("html", str(tmp_path)),)))


def test_writable_report_paths_and_stdout_pass(dockerfile, tmp_path):
    prepared = prepare(AnalyseOptions(dockerfile=str(dockerfile), outputs=(("text", None), ("json", "-"),
                                                                           ("html", str(tmp_path / "r.html"))),
                                      save_baseline=str(tmp_path / "base.json")))
    assert prepared.request.context == tmp_path
    assert not (tmp_path / "r.html").exists()  # checked, not created: nothing is written before the build


def test_analyse_messages_escape_control_characters_in_a_hostile_path(tmp_path):
    import io

    from dlint.analyse.command import run

    err = io.StringIO()
    hostile = tmp_path / "a\x1b[31mred\x07" / "Dockerfile"
    assert run(AnalyseOptions(dockerfile=str(hostile)), lambda text, path: None, err) == 2
    assert "\x1b" not in err.getvalue() and "\x07" not in err.getvalue()
    assert "a\\x1b[31mred\\x07" in err.getvalue() and err.getvalue().count("\n") == 1


def codes_of(prepared) -> list[str]:
    return [f.code for f in prepared.findings]


def test_findings_are_those_dlint_check_shows_inline_silenced_ones_left_out(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("# hadolint ignore=DL3006\nFROM debian\nFROM alpine\n")
    assert codes_of(prepare(AnalyseOptions(dockerfile=str(path)))) == ["DL3006"]  # the second FROM's only
    assert [f.line for f in prepare(AnalyseOptions(dockerfile=str(path))).findings] == [3]


@pytest.mark.parametrize("config", [(".dlint.toml", 'ignore = ["DL3006"]\n'),
                                    ("pyproject.toml", '[tool.dlint]\nignore = ["DL3006"]\n')])
def test_the_dockerfiles_config_selects_the_rules_as_for_dlint_check(tmp_path, config):
    name, text = config
    (tmp_path / name).write_text(text)
    (tmp_path / "app").mkdir()
    path = tmp_path / "app" / "Dockerfile"
    path.write_text("FROM debian\nRUN apt-get update\n")
    codes = codes_of(prepare(AnalyseOptions(dockerfile=str(path))))
    assert "DL3006" not in codes and "DLT001" in codes


def test_a_broken_config_is_a_usage_error_naming_it(tmp_path):
    (tmp_path / ".dlint.toml").write_text("ignore = [\n")
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\n")
    with pytest.raises(UsageError, match=r"\.dlint\.toml"):
        prepare(AnalyseOptions(dockerfile=str(path)))


def test_a_crashing_rule_is_an_internal_error_finding_not_silence(tmp_path, monkeypatch):
    from dlint.lint import engine
    from dlint.lint.registry import all_rules

    def broken(ctx):
        raise RuntimeError("a dlint bug")

    monkeypatch.setitem(all_rules(), "DL3006", all_rules()["DL3006"]._replace(check=broken))
    engine._checks.cache_clear()  # the checks to run are cached per selection: the broken one must be read
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian\nFROM alpine:latest\n")
    try:
        prepared = prepare(AnalyseOptions(dockerfile=str(path)))
    finally:
        engine._checks.cache_clear()
    (crash,) = [f for f in prepared.findings if f.code == "DL1002"]
    assert crash.line == 1 and "rule DL3006" in crash.message and "a dlint bug" in crash.message
    assert "DL3007" in codes_of(prepared)  # the other rules still ran


def test_the_analysed_target_is_the_stage_that_ships(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12 AS build\nRUN apt-get update\nFROM debian:12 AS app\nCOPY --from=build /x /x\n"
                    "FROM debian:12 AS unused\nRUN apt-get update\n")
    last = prepare(AnalyseOptions(dockerfile=str(path)))  # builds the last stage: its lists ship
    app = prepare(AnalyseOptions(dockerfile=str(path), target="app"))  # builds app: the last stage is not in it
    assert [(f.code, f.line) for f in last.findings if f.code == "DL3009"] == [("DL3009", 6)]
    assert "DL3009" not in codes_of(app)


@pytest.mark.parametrize("where", ["output", "save_baseline"])
def test_an_empty_report_path_is_refused_by_its_option_not_as_a_directory(dockerfile, where):
    options = (AnalyseOptions(dockerfile=str(dockerfile), outputs=(("json", ""),)) if where == "output"
               else AnalyseOptions(dockerfile=str(dockerfile), save_baseline=""))
    option = "--output" if where == "output" else "--save-baseline"
    with pytest.raises(UsageError, match=f"^{option} '': an empty path names no file$"):
        prepare(options)
