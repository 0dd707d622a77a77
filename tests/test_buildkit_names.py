"""BuildKit's check names work wherever a dlint code does: a team's existing names keep working."""

from __future__ import annotations

from test_cli_check import dlint


def out(*args, cwd) -> list[str]:
    return dlint(*args, cwd=cwd).stdout.decode().splitlines()

MAINTAINERS = "FROM debian:bookworm-slim\n# dlint ignore=MaintainerDeprecated\nMAINTAINER x\nMAINTAINER y\n"


def test_buildkit_name_in_a_pragma_silences_the_rule(tmp_path):
    (tmp_path / "Dockerfile").write_text(MAINTAINERS)
    shown = [line.split(" ")[0] for line in out("check", "--select", "DL4000", "Dockerfile", cwd=tmp_path)]
    assert shown == ["Dockerfile:4:1:"]


def test_buildkit_name_in_select_ignore_and_config(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM debian:bookworm-slim\nMAINTAINER x\n")
    assert "DL4000" in str(out("check", "--select", "maintainerdeprecated", "Dockerfile", cwd=tmp_path))
    assert "DL4000" not in str(out("check", "--ignore", "MaintainerDeprecated", "Dockerfile", cwd=tmp_path))
    (tmp_path / ".dlint.toml").write_text('[per-file-ignores]\n"Dockerfile" = ["MaintainerDeprecated"]\n')
    assert "DL4000" not in str(out("check", "Dockerfile", cwd=tmp_path))


def test_explain_and_rules_know_the_buildkit_name(tmp_path):
    assert out("explain", "MaintainerDeprecated", cwd=tmp_path)[0] == "# DL4000 `maintainer-deprecated`"
    row = next(line for line in out("rules", cwd=tmp_path) if line.startswith("DL4000"))
    assert "maintainer-deprecated, MaintainerDeprecated" in row
