"""Configuration as a team uses it: found next to each Dockerfile, overridden by flags, strict about mistakes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_cli_check import dlint

from dlint.lint.config import ConfigError, load
from dlint.lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[1]
MONOREPO = ROOT / "fixtures" / "config" / "monorepo"
BAD = (
    "FROM debian:bookworm-slim\n"
    "RUN apt-get update\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends zlib1g curl && rm -rf /var/lib/apt/lists/*\n"
)  # DLT001 and DL3009 (warnings) on line 2, DLT002 (style) on line 3


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of the monorepo fixture, plus an unrelated working directory to run from."""
    shutil.copytree(MONOREPO, tmp_path / "repo")
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "repo"


def codes(proc, base: Path) -> dict[str, set[str]]:
    """file (relative to `base`) -> codes reported, from JSON output."""
    out: dict[str, set[str]] = {}
    for d in json.loads(proc.stdout):
        out.setdefault(Path(d["file"]).relative_to(base).as_posix(), set()).add(d["code"])
    return out


def test_each_dockerfile_gets_its_nearest_config_whatever_the_working_directory(repo):
    p = dlint("check", "--format", "json", str(repo), cwd=repo.parent / "elsewhere")
    found = codes(p, repo)
    # root pyproject: DLT002 ignored; per-file-ignores drops DLT001 for Dockerfile.dev
    assert {"DLT001", "DL3009"} <= found["Dockerfile"] and "DLT002" not in found["Dockerfile"]
    assert "DLT001" not in found["Dockerfile.dev"] and "DL3009" in found["Dockerfile.dev"]
    # .dlint.toml beats the pyproject.toml beside it, and its select replaces the root's set
    assert found["services/api/Dockerfile"] == {"DLT001", "DL3009"}
    # a pyproject.toml without [tool.dlint] is skipped: the root config applies
    assert "DLT002" not in found["services/web/Dockerfile"] and "DLT001" in found["services/web/Dockerfile"]
    # exclude applies to directory discovery
    assert "legacy/Dockerfile" not in found


def test_level_override_from_config(repo):
    p = dlint("check", "--format", "json", str(repo / "Dockerfile"))
    levels = {d["code"]: d["level"] for d in json.loads(p.stdout)}
    assert levels["DL3009"] == "error" and levels["DLT001"] == "warning"


def test_a_named_file_is_linted_even_when_excluded(repo):
    p = dlint("check", "--format", "json", str(repo / "legacy" / "Dockerfile"))
    assert "DLT001" in codes(p, repo)["legacy/Dockerfile"]


def test_flags_win_over_config(repo):
    api = repo / "services" / "api" / "Dockerfile"
    assert codes(dlint("check", "--format", "json", "--select", "DLT002", str(api)), repo) == {
        "services/api/Dockerfile": {"DLT002"}
    }
    p = dlint("check", "--format", "json", "--ignore", "DLT001", str(api))
    assert codes(p, repo)["services/api/Dockerfile"] == {"DL3009"}
    p = dlint("check", "--format", "json", "--extend-select", "DLT002", str(api))
    assert codes(p, repo)["services/api/Dockerfile"] == {"DLT001", "DL3009", "DLT002"}


def test_config_flag_and_isolated(repo, tmp_path):
    other = tmp_path / "ci.toml"
    other.write_text('select = ["DLT002"]\n')
    api = str(repo / "services" / "api" / "Dockerfile")
    assert codes(dlint("check", "--format", "json", "--config", str(other), api), repo) == {"services/api/Dockerfile": {"DLT002"}}
    isolated = codes(dlint("check", "--format", "json", "--isolated", api), repo)["services/api/Dockerfile"]
    assert {"DLT001", "DL3009", "DLT002"} <= isolated


def test_failure_threshold(repo, tmp_path):
    f = tmp_path / "elsewhere" / "Dockerfile"
    f.write_text(BAD)
    only_style = ("--select", "DLT002")
    assert dlint("check", *only_style, str(f)).returncode == 1  # default: any finding fails
    p = dlint("check", *only_style, "--failure-threshold", "warning", str(f))
    assert p.returncode == 0 and b"DLT002" in p.stdout  # still shown, just not failing
    assert dlint("check", "--failure-threshold", "none", str(f)).returncode == 0
    assert dlint("check", "--failure-threshold", "warning", str(f)).returncode == 1
    # from config: the monorepo root says "warning"
    web = repo / "services" / "web" / "Dockerfile"
    assert dlint("check", "--select", "DLT002", str(web)).returncode == 0
    assert dlint("check", "--select", "DLT002", "--failure-threshold", "style", str(web)).returncode == 1


def test_select_prefix_and_all(tmp_path):
    f = tmp_path / "Dockerfile"
    f.write_text(BAD)
    prefixed = {d["code"] for d in json.loads(dlint("check", "--format", "json", "--select", "DLT00", str(f)).stdout)}
    assert prefixed == {"DLT001", "DLT002"}
    everything = {d["code"] for d in json.loads(dlint("check", "--format", "json", "--select", "ALL", str(f)).stdout)}
    default = {d["code"] for d in json.loads(dlint("check", "--format", "json", str(f)).stdout)}
    # ALL adds the opt-in rules: DL3057 (no HEALTHCHECK) and DLS019 (FROM without a digest) fire here
    assert everything - default == {"DL3057", "DLS019"}
    assert prefixed | {"DL3009"} <= default


def test_levels_off_turns_a_rule_off(tmp_path):
    (tmp_path / ".dlint.toml").write_text('[levels]\nDLT001 = "off"\nDLT002 = "error"\n')
    (tmp_path / "Dockerfile").write_text(BAD)
    found = {d["code"]: d["level"] for d in json.loads(dlint("check", "--format", "json", str(tmp_path)).stdout)}
    assert "DLT001" not in found and found["DLT002"] == "error"


@pytest.mark.parametrize(
    "name,content,needles",
    [
        (".dlint.toml", 'slect = ["DLT001"]\n', ["slect", "did you mean 'select'"]),
        (".dlint.toml", 'select = "DLT001"\n', ["select", "expected a list of strings", "a string 'DLT001'"]),
        (".dlint.toml", 'ignore = ["DL9999"]\n', ["ignore", "unknown rule code or prefix 'DL9999'"]),
        (".dlint.toml", 'failure-threshold = "fatal"\n', ["failure-threshold", "error, warning, info, style, none"]),
        (".dlint.toml", '[levels]\nDLT001 = "loud"\n', ["levels.DLT001", '"off"']),
        (".dlint.toml", '[per-file-ignores]\n"*.dev" = "DLT001"\n', ["per-file-ignores", "list of strings"]),
        (".dlint.toml", "[rules.DLT001]\nx = 1\n", ["rules.DLT001", "has no settings"]),
        (".dlint.toml", "select = [\n", ["not valid TOML"]),
        (".dlint.toml", 'targets = "app"\n', ["targets", "list of strings"]),
        ("pyproject.toml", "[tool.dlint]\nexclude = [1]\n", ["tool.dlint.exclude", "list of strings"]),
        ("pyproject.toml", "[tool.dlint.levels]\nNOPE = 'error'\n", ["tool.dlint.levels.NOPE", "unknown rule code"]),
    ],
)
def test_config_mistakes_are_one_line_errors_naming_file_and_key(tmp_path, name, content, needles):
    cfg = tmp_path / name
    cfg.write_text(content)
    (tmp_path / "Dockerfile").write_text(BAD)
    p = dlint("check", str(tmp_path / "Dockerfile"))
    assert p.returncode == 2
    assert p.stdout == b""
    err = p.stderr.decode().strip().splitlines()
    assert len(err) == 1 and str(cfg) in err[0], err
    for needle in needles:
        assert needle in err[0]


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--select", "NOPE"), "unknown rule code or prefix 'NOPE'"),
        (("--failure-threshold", "loud"), "--failure-threshold"),
        (("--config", "missing.toml"), "missing.toml: cannot read"),
        (("--config", "x.toml", "--isolated"), "--isolated"),
    ],
)
def test_flag_mistakes_exit_2(tmp_path, args, needle):
    (tmp_path / "Dockerfile").write_text(BAD)
    p = dlint("check", *args, "Dockerfile", cwd=tmp_path)
    assert p.returncode == 2 and needle in p.stderr.decode()


def test_rule_settings_are_checked_against_what_the_rule_declares(tmp_path):
    rules = dict(all_rules())
    rules["DLT001"] = rules["DLT001"]._replace(options={"names": "list[str]", "strict": "bool"})
    cfg = tmp_path / ".dlint.toml"
    cfg.write_text('[rules.DLT001]\nnames = ["a", "b"]\nstrict = true\n')
    assert load(cfg, rules).options == {"DLT001": {"names": ["a", "b"], "strict": True}}
    cfg.write_text('[rules.DLT001]\nnames = "a"\n')
    with pytest.raises(ConfigError, match=r"rules\.DLT001\.names: expected a list of strings"):
        load(cfg, rules)
    cfg.write_text("[rules.DLT001]\nname = []\n")
    with pytest.raises(ConfigError, match=r"unknown key rules\.DLT001\.name \(did you mean 'names'\?\)"):
        load(cfg, rules)


def test_config_path_with_dotdot_is_resolved_by_the_file_system_not_as_text(tmp_path):
    """`--config link/../x.toml` with `link` a symlink names the file beside the link's target, as open() does."""
    (tmp_path / "proj" / "a").mkdir(parents=True)
    (tmp_path / "proj" / ".dlint.toml").write_text('ignore = ["DL3009", "DLT001", "DLT002", "DLT003", "DL3015"]\n')
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "link").symlink_to(tmp_path / "proj" / "a")
    (tmp_path / "work" / "Dockerfile").write_text("FROM debian:12\nRUN apt-get update\n")
    p = dlint("check", "--config", "link/../.dlint.toml", "Dockerfile", cwd=tmp_path / "work")
    assert (p.returncode, p.stdout) == (0, b""), p.stderr


STAGES = (
    "FROM fedora:40 AS tools\nRUN dnf install -y gdb-14\n"
    "FROM fedora:40 AS app\nRUN dnf install -y nginx-1 && dnf clean all\n"
    "FROM fedora:40 AS test\nRUN dnf install -y pytest-8\n"
)  # tools and test are both unused: each is a target that can ship


def dl3040_lines(proc) -> list[int]:
    return sorted(d["line"] for d in json.loads(proc.stdout) if d["code"] == "DL3040")


def test_targets_name_the_stages_that_ship(tmp_path):
    (tmp_path / "Dockerfile").write_text(STAGES)
    assert dl3040_lines(dlint("check", "--format", "json", "Dockerfile", cwd=tmp_path)) == [2, 6]
    (tmp_path / ".dlint.toml").write_text('targets = ["App", "test"]\n')
    assert dl3040_lines(dlint("check", "--format", "json", "Dockerfile", cwd=tmp_path)) == [6]
    flagged = dlint("check", "--format", "json", "--target", "tools", "Dockerfile", cwd=tmp_path)
    assert dl3040_lines(flagged) == [2]  # the flag replaces the config's list
