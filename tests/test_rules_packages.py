"""Package-manager rules: what they see through, what exempts, where they point, what they fix."""

from __future__ import annotations

import pytest

from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Finding
from dlint.parsing.dockerfile import parse


def findings(text: str, code: str) -> list[Finding]:
    found, crashes = lint(parse(text, "Dockerfile"), Selection(frozenset({code})))
    assert not crashes
    return [f for f in found if f.code == code]


def fixed(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


# --- what the rules see through ------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [
        "RUN sudo apt-get install -y --no-install-recommends curl",
        "RUN sh -c 'apt-get install -y --no-install-recommends curl'",
        "RUN bash -c \"set -e && apt-get install -y --no-install-recommends curl\"",
        "RUN env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl",
        "RUN <<EOF\nset -e\napt-get install -y --no-install-recommends curl\nEOF",
        'RUN ["apt-get", "install", "-y", "--no-install-recommends", "curl"]',
    ],
)
def test_wrapped_and_heredoc_installs_are_checked(run):
    assert len(findings(f"FROM debian:12\n{run}\n", "DL3008")) == 1


def test_windows_shell_is_not_read_as_posix():
    text = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'SHELL ["powershell", "-Command"]\n'
        "RUN npm install -g typescript\n"
    )
    assert findings(text, "DL3016") == []


# --- pins --------------------------------------------------------------------------


def test_pin_finding_points_at_first_unpinned_package_and_names_the_rest():
    text = "FROM debian:12\nRUN apt-get install -y --no-install-recommends \\\n    curl=8.5 git make gcc wget\n"
    [f] = findings(text, "DL3008")
    assert (f.line, f.column, f.end_column) == (3, 14, 17)
    assert "`git`, `make`, `gcc` and 1 more are not pinned" in f.message


@pytest.mark.parametrize(
    "packages,reported",
    [
        ("$PACKAGES", False),
        ('"${PACKAGES}"', False),
        ("$(cat /tmp/packages.txt)", False),
        ("lib${ABI}-dev", True),
        ("curl=${CURL_VERSION}", False),
    ],
)
def test_a_variable_is_not_an_unpinned_package(packages, reported):
    text = f"FROM debian:12\nRUN apt-get install -y --no-install-recommends {packages}\n"
    assert bool(findings(text, "DL3008")) is reported


def test_option_values_are_not_packages():
    text = "FROM alpine:3.20\nRUN apk add --no-cache --virtual .deps -X http://x/edge gcc=13\n"
    assert findings(text, "DL3018") == []
    text = "FROM debian:12\nRUN apt-get -o Dpkg::Options::=--force-confold install -y -t bookworm-backports curl=8\n"
    assert findings(text, "DL3008") == []


@pytest.mark.parametrize(
    "package,reported",
    [
        ("httpd", True),
        ("python3-devel", True),
        ("java-11-openjdk", True),
        ("httpd-2.4.6", False),
        ("httpd-2.4.6-99.el7.x86_64", False),
        ("mysql-server-$MYSQL_VERSION", False),
        ("@development", False),
        ("'httpd >= 2.4'", False),
        ("https://example.com/tool-1.0.noarch.rpm", False),
    ],
)
def test_rpm_version_is_the_last_part_of_the_name(package, reported):
    assert bool(findings(f"FROM centos:7\nRUN yum install -y {package} && yum clean all\n", "DL3033")) is reported
    assert bool(findings(f"FROM fedora:40\nRUN dnf install -y {package} && dnf clean all\n", "DL3041")) is reported


def test_module_install_needs_a_stream():
    [f] = findings("FROM fedora:40\nRUN dnf module install -y nodejs && dnf clean all\n", "DL3041")
    assert "`nodejs` has no stream" in f.message


@pytest.mark.parametrize(
    "command,reported",
    [
        ("pip install flask", True),
        ("pip3 install 'flask>=3'", False),
        ("python3 -m pip install flask==3.0.3", False),
        ("pip install -e ./src", False),
        ("pip install -e git+https://github.com/org/repo.git#egg=repo", True),
        ("pip install -e git+https://github.com/org/repo.git@v1.0#egg=repo", False),
        ("pip install -c constraints.txt flask", False),
        ("pip install -r requirements.txt", False),
        ("pip install -r requirements.txt flask", True),
        ("pip install .", False),
        ("pip install dist/app-1.0-py3-none-any.whl", False),
    ],
)
def test_pip_pins(command, reported):
    assert bool(findings(f"FROM python:3.12\nRUN {command} --no-cache-dir\n", "DL3013")) is reported


@pytest.mark.parametrize(
    "package,reported",
    [
        ("typescript", True),
        ("typescript@latest", True),
        ("typescript@5.6.3", False),
        ("@angular/cli", True),
        ("@angular/cli@18.2.0", False),
        ("user/repo", True),
        ("user/repo#v1.0.0", False),
        ("git+https://github.com/user/repo.git", True),
        ("./local-package", False),
        ("https://example.com/pkg-1.0.0.tgz", False),
    ],
)
def test_npm_pins(package, reported):
    assert bool(findings(f"FROM node:22\nRUN npm install -g {package}\n", "DL3016")) is reported


@pytest.mark.parametrize(
    "command,reported",
    [
        ("go install golang.org/x/tools/cmd/goimports", True),
        ("go install golang.org/x/tools/cmd/goimports@latest", True),
        ("go install golang.org/x/tools/cmd/goimports@v0.26.0", False),
        ("go run main.go -config x", False),
        ("go run github.com/google/wire/cmd/wire@v0.6.0 ./...", False),
        ('go install -ldflags "-X main.version=1 -s" ./cmd/server', False),
        ("go get example.com/dep@none", False),
        ("go mod download", False),
    ],
)
def test_go_pins(command, reported):
    assert bool(findings(f"FROM golang:1.23\nRUN {command}\n", "DL3062")) is reported


def test_gem_version_option_pins_the_command():
    assert findings("FROM ruby:3.3\nRUN gem install bundler -v 2.5.16\n", "DL3028") == []
    found = findings("FROM ruby:3.3\nRUN gem install bundler\n", "DL3028")
    assert [(f.line, f.column, f.end_column) for f in found] == [(2, 17, 24)]  # `bundler`


# --- switches ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command,reported",
    [
        ("apt-get install curl=8", True),
        ("apt-get install -y curl=8", False),
        ("apt-get install --yes curl=8", False),
        ("apt-get -qq install curl=8", False),
        ("apt-get -q install curl=8", True),
        ("apt-get -o APT::Get::Assume-Yes=true install curl=8", False),
        ("apt-get autoremove", True),
        ("apt-get update", False),
    ],
)
def test_apt_answers(command, reported):
    assert bool(findings(f"FROM debian:12\nRUN {command}\n", "DL3014")) is reported


def test_switch_fix_goes_after_the_subcommand():
    text = "FROM debian:12\nRUN apt-get update && sudo apt-get install --no-install-recommends curl=8\n"
    [f] = findings(text, "DL3014")
    assert (f.line, f.column) == (2, 28)  # on `apt-get`, after `sudo `
    assert fixed(text, f).endswith("sudo apt-get install -y --no-install-recommends curl=8\n")


def test_no_switch_fix_in_exec_form():
    [f] = findings('FROM debian:12\nRUN ["apt-get", "install", "curl=8"]\n', "DL3014")
    assert f.fix is None


def test_recommends_fix_is_unsafe():
    [f] = findings("FROM debian:12\nRUN apt-get install -y curl=8\n", "DL3015")
    assert f.fix is not None and not f.fix.safe
    assert "apt-get install --no-install-recommends -y" in fixed("FROM debian:12\nRUN apt-get install -y curl=8\n", f)


@pytest.mark.parametrize(
    "command,expected,safe",
    [
        # apt deletes the .debs it downloaded, apt-get keeps them: the layer would grow
        ("apt install -y curl", "apt-get install -y curl", False),
        ("/usr/bin/apt full-upgrade -y", "/usr/bin/apt-get dist-upgrade -y", False),
        ("apt-get update && apt reinstall -y ca-certificates", "apt-get update && apt-get reinstall -y ca-certificates", False),
        ("apt build-dep -y hello", "apt-get build-dep -y hello", False),
        ("apt upgrade -y", "apt-get upgrade -y", False),  # apt upgrade also installs new dependencies
        ("apt update", "apt-get update", True),
        ("apt remove -y curl libssl3", "apt-get remove -y curl libssl3", True),
        ("apt-get purge -y curl && apt autoremove -y", "apt-get purge -y curl && apt-get autoremove -y", True),
        ("apt purge -y 'libx11*'", "apt-get purge -y 'libx11*'", False),  # apt-get reads it as a glob, apt not
        ("apt remove -y $OLD", "apt-get remove -y $OLD", False),  # a value dlint cannot see may be one
        # no package of that name: apt-get falls back to a regex (`.?+*|[^$`), python3.11 matches; apt refuses
        ("apt purge -y python3.1", "apt-get purge -y python3.1", False),
        ("apt remove -y libc++1", "apt-get remove -y libc++1", False),
        ("apt-get update && apt clean", "apt-get update && apt-get clean", True),
        ("apt search curl", "apt-cache search curl", True),
    ],
)
def test_apt_front_end_fix(command, expected, safe):
    text = f"FROM debian:12\nRUN {command}\n"
    [f] = findings(text, "DL3027")
    assert f.fix is not None and f.fix.safe is safe
    assert fixed(text, f) == f"FROM debian:12\nRUN {expected}\n"


def test_apt_list_has_no_fix():
    [f] = findings("FROM debian:12\nRUN apt list --installed\n", "DL3027")
    assert f.fix is None


@pytest.mark.parametrize(
    "command,code,reported",
    [
        ("yum update", "DL3030", True),
        ("yum -y update", "DL3030", False),
        ("yum --assumeyes install httpd-2.4", "DL3030", False),
        ("dnf group install 'Development Tools'", "DL3038", True),
        ("dnf group list", "DL3038", False),
        ("microdnf install shadow-utils-4.9", "DL3038", True),
        ("zypper -n install curl=8", "DL3034", False),
        ("zypper --non-interactive in curl=8", "DL3034", False),
        ("zypper in -y curl=8", "DL3034", False),
        ("zypper dup", "DL3034", True),
        ("zypper refresh", "DL3034", False),
    ],
)
def test_rpm_answers(command, code, reported):
    assert bool(findings(f"FROM x:1\nRUN {command}\n", code)) is reported


@pytest.mark.parametrize("command,fixed_to", [
    ("zypper install curl=8", "zypper install -y curl=8"),
    ("zypper dup", "zypper dup -y"),
    ("zypper si gcc", None),  # source-install and install-new-recommends have no -y: `zypper si -y` fails
    ("zypper source-install -d gcc", None),
    ("zypper inr", None),
])
def test_zypper_gets_y_only_where_the_subcommand_takes_it(command, fixed_to):
    text = f"FROM opensuse/leap:15.6\nRUN {command}\n"
    [f] = findings(text, "DL3034")
    assert (fixed(text, f) if f.fix else None) == (None if fixed_to is None else f"FROM opensuse/leap:15.6\nRUN {fixed_to}\n")


# --- cache and clean-up exemptions ----------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile,reported",
    [
        ("FROM python:3.12\nRUN pip install flask==3\n", True),
        ("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask==3\n", False),
        ("FROM python:3.12\nENV PIP_NO_CACHE_DIR off\nRUN pip install flask==3\n", False),
        ("FROM python:3.12\nENV PIP_NO_CACHE_DIR=maybe\nRUN pip install flask==3\n", True),
        ("FROM python:3.12\nRUN pip install flask==3\nENV PIP_NO_CACHE_DIR=1\n", True),
        ("FROM python:3.12 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask==3\n", False),
        ("FROM python:3.12\nARG PIP_NO_CACHE_DIR=1\nRUN pip install flask==3\n", False),
        ("FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install flask==3\n", False),
        ("FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache pip install flask==3\n", False),
        ("FROM python:3.12\nRUN --mount=type=cache,target=/pip pip install --cache-dir /pip flask==3\n", False),
        ("FROM python:3.12\nRUN --mount=type=bind,target=/root/.cache/pip pip install flask==3\n", True),
        ("FROM python:3.12\nRUN pip install flask==3 && rm -rf /root/.cache\n", False),
        ("FROM python:3.12\nRUN rm -rf /root/.cache && pip install flask==3\n", True),
        ("FROM python:3.12\nRUN pip install flask==3 && pip cache purge\n", False),
        ("FROM python:3.12 AS build\nRUN pip install flask==3\nFROM scratch\nCOPY --from=build / /\n", False),
        # A login shell starts with a clean environment: the ENV does not reach its pip; a plain su keeps it.
        ("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN su - app -c 'pip install flask==3'\n", True),
        ("FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN su app -c 'pip install flask==3'\n", False),
        ("FROM python:3.12\nRUN su - app -c 'PIP_NO_CACHE_DIR=1 pip install flask==3'\n", False),
    ],
)
def test_pip_cache(dockerfile, reported):
    assert bool(findings(dockerfile, "DL3042")) is reported


def test_pip_cache_fix_adds_no_cache_dir():
    text = "FROM python:3.12\nRUN python -m pip install flask==3\n"
    [f] = findings(text, "DL3042")
    assert fixed(text, f) == "FROM python:3.12\nRUN python -m pip install --no-cache-dir flask==3\n"


@pytest.mark.parametrize(
    "run,reported",
    [
        ("apt-get update && apt-get install -y curl", True),
        ("apt-get update && apt-get install -y curl && apt-get clean", True),  # clean keeps the lists
        ("apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*", False),
        ("apt-get update && apt-get install -y curl && rm -fr /var/lib/apt", False),  # a parent of the lists
        ("apt-get update && apt-get install -y curl && find /var/lib/apt/lists -type f -delete", False),
        ("set -eux; apt-get update; apt-get install -y curl; apt-get dist-clean", False),  # apt >= 2.7
        ("apt update && apt install -y curl && apt distclean", False),
        ("apt-get dist-clean && apt-get update && apt-get install -y curl", True),  # before the update
        ("--mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl", False),
    ],
)
def test_apt_lists_removal(run, reported):
    assert bool(findings(f"FROM debian:13\nRUN {run}\n", "DL3009")) == reported


def test_dist_clean_in_a_later_run_stays_and_the_removal_is_added_here():
    text = "FROM debian:13\nRUN apt-get update && apt-get install -y curl\nRUN apt-get dist-clean\n"
    (finding,) = findings(text, "DL3009")
    assert "later layer" in finding.message
    assert fixed(text, finding) == (
        "FROM debian:13\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get dist-clean\n"
    )


@pytest.mark.parametrize(
    "run,reported",
    [
        ("RUN yum install -y a-1 && yum clean all", False),
        ("RUN yum clean all && yum install -y a-1", True),
        ("RUN yum install -y a-1 && yum clean packages", True),
        ("RUN yum install -y a-1 && rm -rf /var/cache/yum/*", False),
        ("RUN yum install -y a-1 && rm -rf /var/cache/*", False),
        ("RUN yum install -y a-1 && rm /var/cache/yum", True),
        ("RUN --mount=type=cache,target=/var/cache/yum yum install -y a-1", False),
        ("RUN yum install -y a-1 && yum clean all && yum install -y b-1", True),
    ],
)
def test_yum_clean_must_follow_the_last_install(run, reported):
    assert bool(findings(f"FROM centos:7\n{run}\n", "DL3032")) is reported


def test_clean_in_a_later_run_does_not_count():
    found = findings("FROM fedora:40\nRUN dnf install -y a-1\nRUN dnf clean all\n", "DL3040")
    assert [(f.line, f.column, f.end_column) for f in found] == [(2, 5, 23)]  # the install, not the later clean


@pytest.mark.parametrize(
    "text,reported",
    [
        # a stage nothing else uses is a target someone can build and ship
        ("FROM fedora:40 AS debug\nRUN dnf install -y gdb-14\nFROM fedora:40\nRUN true\n", True),
        ("FROM fedora:40 AS b\nRUN dnf install -y gcc-14\nFROM fedora:40\nCOPY --from=B /x /x\n", False),
        ("FROM fedora:40\nRUN dnf install -y gcc-14\nFROM fedora:40\nCOPY --from=0 /x /x\n", False),
        ("FROM fedora:40 AS b\nRUN dnf install -y gcc-14\nFROM fedora:40\nRUN --mount=from=b,target=/b true\n", False),
        ("FROM fedora:40 AS b\nRUN dnf install -y gcc-14\nFROM b\nRUN true\n", True),  # FROM b ships b's layers
        ("FROM fedora:40 AS b\nRUN dnf install -y gcc-14\nFROM b AS c\nRUN true\nFROM fedora:40\nCOPY --from=c /x /x\n",
         False),
    ],
)
def test_stages_nothing_uses_ship(text, reported):
    assert bool(findings(text, "DL3040")) is reported


@pytest.mark.parametrize(
    "run,code,reported",
    [
        ('RUN yum -y group install "Development Tools"', "DL3032", True),
        ('RUN yum -y group install "Development Tools" && yum clean all', "DL3032", False),
        ("RUN yum -y groupinstall 'Development Tools'", "DL3032", True),
        ("RUN dnf -y groupinstall base-x && dnf clean all", "DL3040", False),
        ("RUN dnf -y groupinstall base-x", "DL3040", True),
        ('RUN dnf -y group install "Server"', "DL3040", True),
        ("RUN dnf group list", "DL3040", False),
    ],
)
def test_group_installs_fill_the_cache(run, code, reported):
    found = findings(f"FROM fedora:40\n{run}\n", code)
    assert bool(found) is reported
    if reported:
        assert found[0].line == 2


@pytest.mark.parametrize(
    "run,code",
    [
        ('RUN yum -y group install "Development Tools" && yum clean all', "DL3033"),
        ("RUN yum -y groupinstall web-server && yum clean all", "DL3033"),
        ("RUN dnf -y groupinstall 'C Development Tools and Libraries' && dnf clean all", "DL3041"),
        ("RUN dnf -y group install Xfce && dnf clean all", "DL3041"),
    ],
)
def test_group_names_are_not_unpinned_packages(run, code):
    assert findings(f"FROM fedora:40\n{run}\n", code) == []


def test_cleanup_rules_skip_stages_that_never_ship():
    text = "FROM fedora:40 AS build\nRUN dnf install -y gcc-14\nFROM fedora:40\nCOPY --from=build /etc/os-release /x\n"
    assert findings(text, "DL3040") == []


@pytest.mark.parametrize(
    "run,reported",
    [
        ("RUN apk add curl=8", True),
        ("RUN apk --no-cache add curl=8", False),
        ("RUN apk add --update curl=8 && rm -rf /var/cache/apk/*", False),
        ("RUN --mount=type=cache,target=/var/cache/apk apk add --update curl=8", False),
    ],
)
def test_apk_cache(run, reported):
    assert bool(findings(f"FROM alpine:3.20\n{run}\n", "DL3019")) is reported


@pytest.mark.parametrize(
    "run,reported",
    [
        ("RUN yarn install", True),
        ("RUN yarn", True),
        ("RUN yarn --version", False),
        ("RUN yarn install && yarn cache clean", False),
        ("RUN yarn cache clean && yarn install", True),
        ('RUN yarn install && rm -rf "$(yarn cache dir)"', False),
        ("RUN yarn global add typescript@5", True),
        ("RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install", False),
    ],
)
def test_yarn_cache(run, reported):
    assert bool(findings(f"FROM node:22\n{run}\n", "DL3060")) is reported


@pytest.mark.parametrize(
    "after",
    [
        "xargs -rt apt-get install -y --no-install-recommends < /deps.txt",
        'eval "apt-get install -y $PKGS"',
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y curl",
        "sudo apt-get install -y curl",
        'apt-get satisfy -y "libc6 (>= 2.30)"',
        "apt-get download foo && dpkg -i foo*.deb",
        "apt-get source hello",
        "apt-get build-dep -y hello",
        "aptitude install -y curl",
        "install-packages curl",
        "/usr/local/bin/apt-install curl",
        "sh -c 'apt-get install -y curl'",
        "./setup.sh",
    ],
)
def test_update_followed_by_what_may_read_the_lists_is_not_alone(after):
    text = f"FROM debian:bookworm-slim\nRUN set -eux; apt-get update; {after}; rm -rf /var/lib/apt/lists/*\n"
    text += "RUN apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n"
    assert findings(text, "DLT001") == []


@pytest.mark.parametrize("rest", ["", "; rm -rf /var/lib/apt/lists/*", " && echo done", " && apt-get clean"])
def test_update_with_only_list_blind_commands_after_it_is_alone(rest):
    text = f"FROM debian:bookworm-slim\nRUN set -eux; apt-get update{rest}\n"
    text += "RUN apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*\n"
    assert [f.line for f in findings(text, "DLT001")] == [2]


@pytest.mark.parametrize(
    "install",
    [
        "apt-get install -y ./a_1.0.deb ./b_2.0.deb",
        "apt-get install -y /tmp/x/libfoo.deb /tmp/x/libbar.deb",
        "yum install -y /tmp/a.rpm /tmp/b.rpm",
        "dnf install -y https://h.example/x.rpm https://h.example/y.rpm",
        "apt-get install -y 'libfoo*' 'libfoo-dev*'",
    ],
)
def test_paths_urls_and_globs_are_whole_package_words(install):
    assert findings(f"FROM debian:bookworm-slim\nRUN {install}\n", "DLT003") == []


def test_unsorted_message_keeps_the_word_as_written():
    (found,) = findings("FROM fedora:40\nRUN dnf install -y ImageMagick curl\n", "DLT002")
    assert "before `ImageMagick`" in found.message
