"""Instruction and shell-usage rules: stages, positions, heredocs, Windows files, settings, fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlint.lint.checks.operands import parse_image
from dlint.lint.checks.run_layers import statement_count
from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Finding
from dlint.lint.registry import all_rules
from dlint.parsing.arguments import unquote
from dlint.parsing.dockerfile import parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def findings(text: str, code: str, options: dict | None = None) -> list[Finding]:
    selection = Selection(frozenset({code}), options={code: options} if options else {})
    found, crashes = lint(parse(text, "Dockerfile"), selection)
    assert not crashes
    return [f for f in found if f.code == code and not f.suppressed]


def lines(text: str, code: str, options: dict | None = None) -> list[int]:
    return [f.line for f in findings(text, code, options)]


def marked(text: str, finding: Finding) -> str:
    """The source text a finding points at."""
    df = parse(text, "Dockerfile")
    start = df.line_starts[finding.line - 1] + finding.column - 1
    end = df.line_starts[finding.end_line - 1] + finding.end_column - 1
    return text[start:end]


def fixed(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


# --- defaults and levels ------------------------------------------------------------


def test_opt_in_rules_are_not_selected_by_default():
    default = Selection.default().codes
    assert {"DL1001", "DL3057", "DLT005"}.isdisjoint(default)
    assert {"DL3003", "DL4006", "DLT004", "DL3059"} <= default


@pytest.mark.parametrize(
    "code,level",
    [("DL3000", "error"), ("DL3001", "info"), ("DL3025", "warning"), ("DL3048", "style"),
     ("DL3059", "info"), ("DL4004", "error"), ("DL3047", "info"), ("DLT004", "warning"), ("DLT005", "style")],
)  # fmt: skip
def test_levels_follow_hadolint(code, level):
    assert str(all_rules()[code].level) == level


# --- where findings point -------------------------------------------------------------


def test_untagged_image_points_at_the_image_word():
    text = "FROM --platform=$BUILDPLATFORM  localhost:5000/team/base AS build\n"
    (f,) = findings(text, "DL3006")
    assert marked(text, f) == "localhost:5000/team/base"


def test_shell_rules_point_at_the_command_inside_continuations():
    text = "FROM debian:12\nRUN set -e \\\n && cd /src \\\n && make\n"
    (f,) = findings(text, "DL3003")
    assert (f.line, marked(text, f)) == (3, "cd /src")
    assert f.instruction_line == 2


def test_relative_destination_points_at_the_destination():
    text = "FROM python:3.12\nCOPY requirements.txt  ./deps/\n"
    (f,) = findings(text, "DL3045")
    assert marked(text, f) == "./deps/"


# --- stages --------------------------------------------------------------------------------


def test_last_user_is_judged_on_the_image_that_ships():
    text = (
        "FROM debian:12 AS build\nUSER root\n"  # build stage: never runs in production
        "FROM debian:12 AS base\nUSER 0:0\n"
        "FROM base\nRUN id\n"  # inherits USER 0 from base
    )
    assert lines(text, "DL3002") == [4]
    assert lines(text + "USER 10001\n", "DL3002") == []


def test_workdir_is_inherited_through_from():
    text = "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nCOPY a .\nFROM debian:12\nCOPY b .\n"
    assert lines(text, "DL3045") == [6]


def test_relative_workdir_after_an_absolute_one_is_anchored():
    assert lines("FROM debian:12\nWORKDIR /srv\nWORKDIR app\n", "DL3000") == []
    assert lines("FROM debian:12\nWORKDIR app\nWORKDIR /srv\n", "DL3000") == [2]


@pytest.mark.parametrize(
    "copy,code",
    [
        ("COPY --from=build /a /b", None),
        ("COPY --from=BUILD /a /b", None),  # BuildKit compares stage names case-insensitively
        ("COPY --from=0 /a /b", None),
        ("COPY --from=nginx:1.27 /a /b", None),
        ("COPY --from=$STAGE /a /b", None),
        ("COPY --from=1 /a /b", "DL3023"),  # the stage this COPY is in
        ("COPY --from=final /a /b", "DL3023"),
        ("COPY --from=later /a /b", "DL3022"),
        ("COPY --from=5 /a /b", "DL3022"),
        ("COPY --from=biuld /a /b", "DL3022"),
        ("COPY --from=ghcr.io/org/tool /a /b", "DL3022"),  # untagged image
    ],
)
def test_copy_from_resolves_stages(copy, code):
    text = f"FROM golang:1.22 AS build\nFROM debian:12 AS final\n{copy}\nFROM debian:12 AS later\n"
    reported = {c for c in ("DL3022", "DL3023") if lines(text, c)}
    assert reported == ({code} if code else set())


def test_duplicate_stage_names_compare_case_insensitively():
    text = "FROM golang:1.22 AS build\nFROM node:20 AS Build\n"
    (f,) = findings(text, "DL3024")
    assert marked(text, f) == "Build"


def test_repeated_cmd_is_per_stage():
    text = 'FROM a:1 AS x\nCMD ["a"]\nFROM x\nCMD ["b"]\nCMD ["c"]\n'
    assert lines(text, "DL4003") == [5]


def test_wget_and_curl_are_counted_per_stage():
    text = "FROM a:1\nRUN wget -q x\nFROM b:1\nRUN curl -fsS y\nRUN bash -c 'wget -q z'\n"
    assert lines(text, "DL4001") == [5]


def test_archive_copied_then_unpacked_in_the_same_stage():
    text = (
        "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar xzf /tmp/app.tar.gz -C /opt\n"
        "FROM debian:12\nCOPY data.tgz /data/\n"  # kept as an archive: not reported
    )
    assert lines(text, "DL3010") == [2]


# --- heredocs, sh -c and exec form --------------------------------------------------------


def test_consecutive_runs_count_heredoc_and_sh_c_commands():
    one = "RUN <<EOF\nmkdir /app\nEOF\n"
    two = "RUN <<EOF\nmkdir /app\nchown nobody /app\nEOF\n"
    assert lines(f"FROM a:1\n{one}RUN touch /x\n", "DL3059") == [5]
    assert lines(f"FROM a:1\n{two}RUN touch /x\n", "DL3059") == []
    assert lines("FROM a:1\nRUN sh -c 'a && b'\nRUN c\n", "DL3059") == []
    assert lines('FROM a:1\nRUN ["a"]\n# note\nRUN ["b"]\nRUN c\n', "DL3059") == [4, 5]


def test_consecutive_runs_with_different_mounts_are_not_merged():
    text = "FROM a:1\nRUN --mount=type=cache,target=/root/.cache pip install x\nRUN echo done\n"
    assert lines(text, "DL3059") == []


def test_pipefail_set_in_the_script_before_the_pipe():
    assert lines("FROM a:1\nRUN set -euxo pipefail; curl x | sh\n", "DL4006") == []
    assert lines("FROM a:1\nRUN curl x | sh\n", "DL4006") == [2]
    heredoc = "FROM a:1\nRUN <<EOF\nset -o pipefail\ncurl x | sh\nEOF\n"
    assert lines(heredoc, "DL4006") == []


def test_pipefail_from_shell_is_inherited_by_child_stages():
    text = 'FROM a:1 AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM base\nRUN a | b\nFROM a:1\nRUN a | b\n'
    assert lines(text, "DL4006") == [6]


def test_commands_inside_sh_c_and_heredocs_are_seen():
    assert lines("FROM a:1\nRUN bash -c 'cd /src && make'\n", "DL3003") == [2]
    assert lines("FROM a:1\nRUN <<EOF\nsudo make install\nEOF\n", "DL3004") == [3]
    assert lines("FROM a:1\nRUN sh -c 'wget https://x/y'\n", "DL3047") == [2]


@pytest.mark.parametrize(
    "command,reported",
    [("wget -qO- x", False), ("wget -nv x", False), ("wget --progress=dot:giga x", False),
     ("wget -o log x", False), ("wget -O out x", True), ("wget -t 3 x", True)],
)  # fmt: skip
def test_wget_quiet_options(command, reported):
    assert bool(lines(f"FROM a:1\nRUN {command}\n", "DL3047")) is reported


@pytest.mark.parametrize(
    "command,reported",
    [("useradd -u 1000000 a", True), ("useradd -mu1000000 a", True), ("useradd --uid=1000000 a", True),
     ("useradd -lu 1000000 a", False), ("useradd --no-log-init -u 1000000 a", False),
     ("useradd -u 10000 a", False), ("useradd -u ${HIGH_UID} a", False), ("useradd -s/bin/false -u 1000000 a", True)],
)  # fmt: skip
def test_useradd_uid_and_log_init(command, reported):
    assert bool(lines(f"FROM a:1\nRUN {command}\n", "DL3046")) is reported


# --- Windows files --------------------------------------------------------------------------

WINDOWS = (
    "# escape=`\n"
    "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
    'SHELL ["powershell", "-Command"]\n'
    "RUN cd C:\\src ; Invoke-WebRequest https://x/y.zip -OutFile y.zip | Out-Null\n"
    "RUN Expand-Archive y.zip -DestinationPath C:\\tools\n"
    "WORKDIR C:\\app\n"
    "COPY --from=0 C:\\tools C:\\tools\n"
)


@pytest.mark.parametrize("code", ["DL3003", "DL4006", "DL3047"])
def test_shell_rules_skip_files_that_are_not_posix_shell(code):
    assert lines(WINDOWS, code) == []


def test_windows_paths_keep_their_backslashes():
    assert lines(WINDOWS, "DL3000") == []
    assert lines(WINDOWS, "DL3045") == []
    assert unquote("C:\\app", "`") == "C:\\app"
    assert unquote('"a b"\\ c') == "a b c"


def test_powershell_runs_count_statements():
    assert lines(WINDOWS, "DL3059") == []
    assert statement_count("if ((Get-FileHash x).Hash -ne $h) { Write-Host 'bad'; exit 1 }") == 1
    assert statement_count("Invoke-WebRequest 'a;b' -OutFile x ; Remove-Item x") == 2


def test_invalid_json_exec_form_is_shell_form():
    text = '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD ["C:\\ServiceMonitor.exe", "w3svc"]\n'
    assert lines(text, "DL3025") == [3]
    assert lines('FROM a:1\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nCMD ["a"]\n', "DL3025") == []


# --- image references and settings ------------------------------------------------------


@pytest.mark.parametrize(
    "ref,registry,tag,digest",
    [("debian", None, None, None), ("debian:12", None, "12", None), ("o/r", None, None, None),
     ("localhost:5000/app", "localhost:5000", None, None), ("ghcr.io/o/r:1@sha256:ab", "ghcr.io", "1", "sha256:ab")],
)  # fmt: skip
def test_parse_image(ref, registry, tag, digest):
    got = parse_image(ref)
    assert (got.registry, got.tag, got.digest) == (registry, tag, digest)


def test_trusted_registries_come_from_settings():
    text = (
        "ARG BASE=quay.io/org/base:1\nFROM $BASE AS base\nFROM debian:12\n"
        "COPY --from=ghcr.io/org/tool:1 /tool /tool\nCOPY --from=base /x /x\n"
    )
    assert lines(text, "DL3026") == []  # nothing to check against without the setting
    assert lines(text, "DL3026", {"trusted-registries": ["docker.io", "ghcr.io"]}) == [2]
    assert lines(text, "DL3026", {"trusted-registries": ["quay.io"]}) == [3, 4]


def test_label_formats_come_from_settings():
    text = 'FROM a:1\nLABEL org.opencontainers.image.version="v1" other="v1" built=$DATE\n'
    assert lines(text, "DL3056") == []
    assert lines(text, "DL3056", {"labels": ["org.opencontainers.image.version", "built"]}) == [2]


def test_required_labels_are_looked_up_along_the_from_chain():
    text = 'FROM a:1 AS base\nLABEL maintainer="x"\nFROM base\nLABEL version="1"\n'
    assert lines(text, "DL3049", {"required": ["maintainer", "version"]}) == []
    assert lines(text, "DL3049", {"required": ["maintainer", "source"]}) == [3]


# --- fixes ---------------------------------------------------------------------------------


def test_add_fix_becomes_copy_and_keeps_flags():
    text = "FROM a:1\nADD --chown=1:1 app/ /app/\n"
    (f,) = findings(text, "DL3020")
    assert fixed(text, f) == "FROM a:1\nCOPY --chown=1:1 app/ /app/\n"
    (g,) = findings("FROM a:1\nADD --checksum=sha256:ab app /app\n", "DL3020")
    assert g.fix is None


def test_maintainer_fix_writes_a_label():
    text = 'FROM a:1\nMAINTAINER Jane "JD" Doe\n'
    (f,) = findings(text, "DL4000")
    assert fixed(text, f) == 'FROM a:1\nLABEL maintainer="Jane \\"JD\\" Doe"\n'
    assert f.fix is not None and not f.fix.safe


def test_one_package_per_line_fix_gives_the_good_example():
    page = all_rules()["DLT005"]
    bad, good = page.examples("Bad")[0], page.examples("Good")[0]
    (f,) = findings(bad, "DLT005")
    assert fixed(bad, f) == good
    assert findings(good, "DLT005") == []


def test_one_package_per_line_fix_keeps_indentation_and_variables():
    text = "FROM a:1\nRUN set -e; \\\n    apk add --no-cache zlib $EXTRA bash curl\n"
    (f,) = findings(text, "DLT005")
    assert fixed(text, f) == (
        "FROM a:1\nRUN set -e; \\\n    apk add --no-cache \\\n        bash \\\n        curl \\\n"
        "        zlib \\\n        $EXTRA\n"
    )


def test_an_option_after_the_last_package_may_share_its_line():
    text = "FROM a:1\nRUN apt-get install -y \\\n    curl \\\n    git \\\n    wget --no-install-recommends\n"
    assert findings(text, "DLT005") == []


@pytest.mark.parametrize(
    "run",
    [
        "sh -c 'apt-get install -y curl git wget'",  # inside a quoted string
        "apt-get install curl -y git wget",  # an option between the packages
    ],
)
def test_one_package_per_line_leaves_awkward_layouts_to_the_user(run):
    (f,) = findings(f"FROM a:1\nRUN {run}\n", "DLT005")
    assert f.fix is None


# --- DLT004 copy-before-install -------------------------------------------------------------


@pytest.mark.parametrize(
    "body,manifests",
    [
        ("COPY . .\nRUN pip install -r requirements/prod.txt", "requirements/prod.txt"),
        ("COPY ./ /app\nRUN pip install -e .", "pyproject.toml"),
        ("ADD . /app\nRUN poetry install --no-root", "poetry.lock"),
        ("COPY . .\nRUN npm ci", "package-lock.json"),
        ("COPY . .\nRUN yarn --frozen-lockfile", "yarn.lock"),
        ("COPY src/ /src/\nRUN cd /src && go mod download", "go.sum"),
        ("COPY . .\nRUN bundle install", "Gemfile.lock"),
        ("COPY . .\nRUN mvn -B dependency:go-offline", "pom.xml"),
    ],
)
def test_broad_copy_before_install(body, manifests):
    text = f"FROM a:1\nWORKDIR /app\n{body}\n"
    (f,) = findings(text, "DLT004")
    assert f.line == 3 and manifests in f.message


@pytest.mark.parametrize(
    "body",
    [
        "COPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build",
        "COPY Cargo.toml Cargo.lock ./\nRUN cargo fetch\nCOPY . .\nRUN cargo build --release",
        "COPY requirements/ requirements/\nRUN pip install -r requirements/base.txt",
        "COPY . .\nRUN npm install express",  # names its packages: not a manifest install
        "COPY --from=build /out /out\nRUN npm ci",  # not from the build context
    ],
)
def test_manifest_first_layouts_are_clean(body):
    assert findings(f"FROM a:1\nWORKDIR /app\n{body}\n", "DLT004") == []


def test_install_in_another_stage_does_not_count():
    text = "FROM a:1 AS src\nCOPY . /src\nFROM python:3.12\nRUN pip install -r /requirements.txt\n"
    assert findings(text, "DLT004") == []


def test_cache_probe_fixtures_agree_with_the_rule():
    broad = (FIXTURES / "cacheprobe" / "Dockerfile.broad").read_text()
    fixed_file = (FIXTURES / "cacheprobe" / "Dockerfile.fixed").read_text()
    assert len(findings(broad, "DLT004")) == 1
    assert findings(fixed_file, "DLT004") == []


# --- variables -----------------------------------------------------------------------------


def test_env_reference_to_its_own_definition():
    assert lines("FROM a:1\nENV A=1 B=$A\n", "DL3044") == [2]
    assert lines("FROM a:1\nENV B=${A:-x} A=1\n", "DL3044") == [2]
    assert lines("FROM a:1\nARG A\nENV A=1 B=$A\n", "DL3044") == []
    assert lines("FROM a:1\nENV A=1 B=$AB\n", "DL3044") == []
    assert lines("FROM a:1\nENV PATH=/x:$PATH\n", "DL3044") == []


def test_sensitive_names_also_in_onbuild():
    text = "FROM a:1\nARG DB_PASSWORD_FILE\nONBUILD ENV GITHUB_TOKEN=x\nENV TOKENIZER=bert\n"
    assert [(f.line, f.instruction_line) for f in findings(text, "DL3064")] == [(2, 2), (3, 3), (4, 4)]
    (onbuild,) = [f for f in findings(text, "DL3064") if f.line == 3]
    assert marked(text, onbuild) == "GITHUB_TOKEN"


def test_consecutive_runs_name_the_run_just_before():
    found = findings("FROM a:1\nRUN a\nRUN b\nRUN c\nRUN d\n", "DL3059")
    assert [(f.line, f"line {f.line - 1} " in f.message) for f in found] == [(3, True), (4, True), (5, True)]
