"""Which `docker` CLI drives BuildKit: the first on PATH with buildx or older than 23, asked without an engine."""

import contextlib
import os
import stat

import pytest

from dlint.analyse import buildkit


def fake_cli(directory, version: str, buildx: bool):
    """A `docker` that answers `--version` and `buildx version` as a real CLI of that version would."""
    directory.mkdir()
    script = directory / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = --version ] && {{ echo "Docker version {version}, build abc1234"; exit 0; }}\n'
        f'[ "$1" = buildx ] && exit {0 if buildx else 1}\n'
        "exit 3\n"  # anything else (`docker version`, which asks the engine) is not how dlint asks
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def find_cli() -> buildkit.Cli:
    with contextlib.closing(buildkit.CliSearch()) as search:
        return search.answer()


@pytest.fixture
def on_path(monkeypatch):
    def use(*dirs):
        monkeypatch.setenv("PATH", os.pathsep.join(map(str, dirs)))
    return use


def test_a_new_cli_without_buildx_is_passed_over_for_an_older_one_behind_it(tmp_path, on_path):
    new, old = fake_cli(tmp_path / "new", "28.2.2", False), fake_cli(tmp_path / "old", "20.10.24+dfsg1", False)
    on_path(new, old)
    cli = find_cli()
    assert (cli.path, cli.version, cli.buildx) == (str(old / "docker"), "20.10.24+dfsg1", False)
    assert cli.build_command() == [str(old / "docker"), "build"]


def test_a_new_cli_with_buildx_builds_through_buildx(tmp_path, on_path):
    new, old = fake_cli(tmp_path / "new", "28.2.2", True), fake_cli(tmp_path / "old", "20.10.24", False)
    on_path(new, old)
    assert find_cli().build_command() == [str(new / "docker"), "buildx", "build", "--load"]


def test_only_new_clis_without_buildx_is_one_line_naming_the_first(tmp_path, on_path):
    first, second = fake_cli(tmp_path / "a", "28.2.2", False), fake_cli(tmp_path / "b", "27.0.1", False)
    on_path(first, second, first)  # a directory twice is asked once
    with pytest.raises(buildkit.BuilderUnavailable) as exc:
        find_cli()
    assert str(exc.value) == (f"{first / 'docker'} (Docker CLI 28.2.2) refuses DOCKER_BUILDKIT=1 without the buildx "
                              "plugin: install docker-buildx, or use --builder classic")


def test_no_cli_on_path(tmp_path, on_path):
    on_path(tmp_path)
    with pytest.raises(buildkit.BuilderUnavailable, match="no `docker` CLI on PATH"):
        find_cli()


def test_a_docker_that_is_no_program_or_names_no_version_is_passed_over(tmp_path, on_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "docker").write_bytes(b"\x7fELF not really")  # executable, but exec fails (ENOEXEC)
    (broken / "docker").chmod(0o755)
    silent = tmp_path / "silent"
    silent.mkdir()
    (silent / "docker").write_text("#!/bin/sh\nexit 0\n")
    (silent / "docker").chmod(0o755)
    good = fake_cli(tmp_path / "good", "20.10.24", False)
    on_path(broken, silent)
    with pytest.raises(buildkit.BuilderUnavailable, match="broken/docker does not answer `docker --version`"):
        find_cli()
    on_path(broken, silent, good)
    assert find_cli().path == str(good / "docker")
