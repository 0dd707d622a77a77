"""`dlint analyse` refusing bad input before it connects to an engine or builds anything."""

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
