"""The security family (DLS: verification turned off, what a build trusts or leaks) and the research
family (DLR: binnacle's and Parfum's rules), on shapes of our own beside the pages' examples."""

from __future__ import annotations

import pytest

from dlint.lint.engine import Selection, lint
from dlint.lint.fix import fix_text
from dlint.lint.registry import all_rules, canonical
from dlint.parsing.dockerfile import parse

D = "FROM debian:bookworm-slim\n"


def spans(text: str, code: str) -> list[str]:
    """What each finding of `code` points at, as written in the file."""
    df = parse(text, "Dockerfile")
    findings, crashes = lint(df, Selection(frozenset({code})))
    assert not crashes
    lines = text.splitlines()
    out = []
    for f in findings:
        assert f.code == code
        assert f.end_line == f.line, "one-line shapes here"
        out.append(lines[f.line - 1][f.column - 1 : f.end_column - 1])
    return out


@pytest.mark.parametrize("text,expected", [
    (D + "RUN curl -fsSLk https://x/y -o /y\n", ["-fsSLk"]),
    (D + "RUN sudo curl --insecure https://x/y\n", ["--insecure"]),
    (D + "RUN sh -c 'curl -k https://x/y'\n", ["-k"]),
    (D + "RUN curl -o k https://x/k && curl -H k https://x\n", []),  # `k` is a value there
    (D + "RUN curl -sSLok https://x/k\n", []),  # -o takes the rest of the cluster: the file `k`
    (D + "RUN curl -fsSL -- -k\n", []),  # after `--` nothing is an option
    (D + "RUN echo curl -k\n", []),
])
def test_curl_insecure(text, expected):
    assert spans(text, "DLS001") == expected


@pytest.mark.parametrize("text,expected", [
    (D + "RUN wget --no-check-certificate -qO- https://x | tar x\n", ["--no-check-certificate"]),
    (D + "RUN wget -e check_certificate=off https://x\n", ["check_certificate=off"]),
    (D + "RUN wget -q https://x\n", []),
])
def test_wget_no_check_certificate(text, expected):
    assert spans(text, "DLS002") == expected


@pytest.mark.parametrize("text,expected", [
    (D + "RUN pip install --trusted-host=h -r r.txt\n", ["--trusted-host=h"]),
    (D + "RUN python3 -m pip install --trusted-host h x\n", ["--trusted-host"]),
    (D + "RUN pip config set global.trusted-host h\n", ["global.trusted-host"]),
    (D + "ARG PIP_TRUSTED_HOST=h\n", ["PIP_TRUSTED_HOST=h"]),
    (D + "RUN PIP_TRUSTED_HOST=h pip install x\n", ["PIP_TRUSTED_HOST=h"]),
    (D + "ARG PIP_TRUSTED_HOST\n", []),  # no default: nothing is trusted unless the build says so
    (D + "ENV PIP_TRUSTED_HOST=$HOSTS\n", []),  # unknown value: no finding
    (D + "RUN pip install --index-url https://h/simple x\n", []),
])
def test_pip_trusted_host(text, expected):
    assert spans(text, "DLS003") == expected


@pytest.mark.parametrize("code,text,expected", [
    ("DLS004", D + "ENV PYTHONHTTPSVERIFY 0\n", ["PYTHONHTTPSVERIFY 0"]),
    ("DLS004", D + "ENV PYTHONHTTPSVERIFY=1\n", []),
    ("DLS005", D + "ENV A=1 NODE_TLS_REJECT_UNAUTHORIZED='0'\n", ["NODE_TLS_REJECT_UNAUTHORIZED='0'"]),
    ("DLS005", D + "ENV NODE_TLS_REJECT_UNAUTHORIZED=1\n", []),
    ("DLS006", D + "RUN yarn config set strict-ssl false\n", ["strict-ssl"]),
    ("DLS006", D + "RUN npm config set strict-ssl=false\n", ["strict-ssl=false"]),
    ("DLS006", D + "RUN npm ci --strict-ssl=false\n", ["--strict-ssl=false"]),
    ("DLS006", D + "ENV npm_config_strict_ssl=false\n", ["npm_config_strict_ssl=false"]),
    ("DLS006", D + "RUN npm config set strict-ssl true\n", []),
    ("DLS007", D + "ENV GIT_SSL_NO_VERIFY=true\n", ["GIT_SSL_NO_VERIFY=true"]),
    ("DLS007", D + "RUN git -c http.https://h.sslVerify=false clone https://h/r\n", ["http.https://h.sslVerify=false"]),
    ("DLS007", D + "RUN git config --global http.sslverify 0\n", ["http.sslverify"]),
    ("DLS007", D + "RUN git config --global http.sslVerify true\n", []),
    ("DLS008", D + "ENV GOSUMDB=off GOINSECURE=h.example\n", ["GOSUMDB=off", "GOINSECURE=h.example"]),
    ("DLS008", D + "ENV GOSUMDB=sum.golang.org\n", []),
])
def test_verification_turned_off_by_variables_and_config(code, text, expected):
    assert sorted(spans(text, code)) == sorted(expected)


@pytest.mark.parametrize("code,text,expected", [
    ("DLS009", "FROM alpine:3\nRUN apk add --allow-untrusted x.apk\n", ["--allow-untrusted"]),
    ("DLS010", D + "RUN apt-get install -y --force-yes x\n", ["--force-yes"]),
    ("DLS010", D + "RUN apt-get -o APT::Get::AllowUnauthenticated=true install -y x\n",
     ["APT::Get::AllowUnauthenticated=true"]),
    ("DLS010", D + 'RUN echo "deb [arch=amd64 trusted=yes] https://r ./" > /etc/apt/sources.list\n',
     ["\"deb [arch=amd64 trusted=yes] https://r ./\""]),
    ("DLS010", D + 'RUN echo "deb [signed-by=/k.gpg] https://r ./" > /etc/apt/sources.list\n', []),
    ("DLS011", "FROM fedora\nRUN microdnf install -y --nogpgcheck x\n", ["--nogpgcheck"]),
    ("DLS011", "FROM fedora\nRUN dnf --setopt=x.gpgcheck=0 install -y x\n", ["--setopt=x.gpgcheck=0"]),
    ("DLS011", "FROM opensuse/leap\nRUN zypper --no-gpg-checks in -y x\n", ["--no-gpg-checks"]),
    ("DLS011", "FROM fedora\nRUN echo gpgcheck=1 >> /etc/yum.repos.d/x.repo\n", []),
    ("DLS012", "FROM fedora\nRUN rpm -Uvh --nodigest x.rpm\n", ["--nodigest"]),
    ("DLS013", "FROM fedora\nRUN yum --setopt=sslverify=false install -y x\n", ["--setopt=sslverify=false"]),
    ("DLS013", "FROM fedora\nRUN git -c http.sslVerify=false clone https://h/r\n", []),  # git's: DLS007
])
def test_package_signatures_and_certificates(code, text, expected):
    assert spans(text, code) == expected


@pytest.mark.parametrize("code,text,expected", [
    ("DLS014", D + "RUN --security=insecure true\nRUN --security=sandbox true\n", ["--security=insecure"]),
    ("DLS014", D + "ONBUILD RUN --security=insecure true\n", ["--security=insecure"]),
    ("DLS015", D + "RUN --mount=type=bind,src=/run/docker.sock,dst=/s docker ps\n",
     ["--mount=type=bind,src=/run/docker.sock,dst=/s"]),
    ("DLS015", D + 'VOLUME ["/var/run/docker.sock"]\n', ["/var/run/docker.sock"]),
    ("DLS015", D + "COPY docker.sock.txt /doc/\n", []),
    ("DLS016", D + "RUN pip install --extra-index-url=https://p/simple x\n", ["--extra-index-url=https://p/simple"]),
    ("DLS016", D + "ENV PIP_EXTRA_INDEX_URL=https://p/simple\n", ["PIP_EXTRA_INDEX_URL=https://p/simple"]),
    ("DLS017", D + "RUN printf 'a:b\\n' | sudo chpasswd\n", ["chpasswd"]),
    ("DLS017", D + "RUN usermod -p x app && useradd -m b\n", ["-p"]),
    ("DLS017", D + "RUN useradd -m -u 1000 app && passwd -d app\n", []),
    ("DLS018", D + "RUN wget -qO- https://x/i.sh | bash -s -- --yes\n", ["wget -qO- https://x/i.sh | bash -s -- --yes"]),
    ("DLS018", D + "RUN curl -fsSL https://x/k.asc | gpg --dearmor > /k.gpg\n", []),
    ("DLS018", D + "RUN curl -fsSL https://x/a.tgz | tar -xz\n", []),
    ("DLS019", "FROM a:1 AS b\nFROM b\nFROM scratch\nFROM c@sha256:" + "0" * 64 + "\n", ["a:1"]),
    ("DLS020", D + "ADD --checksum=sha256:00 https://x/a /a\nADD https://x/b /b\nADD ./c /c\n", ["https://x/b"]),
    ("DLS021", D + "COPY --chown=app ./.pypirc ./README.md /home/app/\n", ["./.pypirc"]),
    ("DLS021", D + "COPY keys/deploy.PEM /k/\n", ["keys/deploy.PEM"]),
    ("DLS021", D + "COPY --from=build /etc/ssl/x.key /k/\nCOPY keyring.txt /k/\n", []),
])
def test_what_a_build_trusts_or_leaks(code, text, expected):
    assert spans(text, code) == expected


@pytest.mark.parametrize("code,text,expected", [
    ("DLR001", D + "RUN curl -sSLO https://x/a.tgz && curl -fsSL https://x/b | tar x\n", ["curl"]),
    ("DLR001", D + "RUN curl --fail-with-body https://x/a && curl --version\n", []),
    ("DLR002", D + "RUN wget http://x/a && curl http://localhost:1/ && curl https://x\n", ["http://x/a"]),
    ("DLR003", D + "RUN gpg --import k.asc && gpg --batch --verify a.sig && gpg --version\n", ["gpg"]),
    ("DLR006", "FROM alpine:3\nRUN apk update && rm -rf /tmp/*\n", ["apk update"]),
    ("DLR006", "FROM alpine:3\nRUN apk update && ./install.sh\n", []),  # the script may install
    ("DLR006", "FROM fedora\nRUN dnf makecache\nRUN dnf update -y && dnf clean all\n", ["dnf makecache"]),
    ("DLR006", "FROM fedora\nRUN yum update -y\n", []),  # an upgrade, not a refresh
    ("DLR007", "FROM scratch AS a\nFROM a AS b\nFROM alpine:3\nCOPY --from=b /x /x\n", ["--from=b"]),
    ("DLR007", "FROM scratch AS a\nFROM alpine:3\nCOPY --from=a / /\n", []),  # copying an empty root works
    ("DLR007", "ARG V=a\nFROM scratch AS x-a\nFROM x-${V} AS x\nFROM alpine:3\nCOPY --from=x /y /y\n", []),
])
def test_research_rules(code, text, expected):
    assert spans(text, code) == expected


@pytest.mark.parametrize("text,expected", [
    (D + "RUN wget https://x/t.tar.gz && tar -xzf t.tar.gz\n", ["https://x/t.tar.gz"]),
    (D + "RUN curl -fsSLO https://x/t.zip && unzip t.zip && rm t.zip\n", []),
    (D + "RUN curl -fsSLo /t.tgz https://x/t.tgz && tar -xzf /t.tgz && rm -rf /t*\n", []),
    (D + "RUN curl -fsSLo /t.tgz https://x/t.tgz && tar -xzf /t.tgz\nRUN rm /t.tgz\n", []),  # a later RUN
    (D + "RUN curl -fsSLo /t.tgz https://x/t.tgz\n", []),  # kept, not unpacked: maybe on purpose
    (D + "RUN curl -fsSLo /t.tgz https://x/t.tgz && tar -xzf/t.tgz\n", ["/t.tgz"]),  # attached -fNAME
    (D + "RUN cd /o && curl -fsSLO https://x/t.tgz && tar -C /opt -xzf /o/t.tgz\n", ["https://x/t.tgz"]),
    (D + "RUN tar -xzf /t.tgz && curl -fsSLo /t.tgz https://x/t.tgz\n", []),  # unpacked before: not this one
    (D + "RUN curl -fsSLo /t.tgz https://x/t.tgz && tar -tzf /u.tgz\n", []),  # another archive
])
def test_archive_kept_after_unpacking(text, expected):
    assert spans(text, "DLR004") == expected


def fixed(text: str, code: str) -> str:
    return fix_text(text, "Dockerfile", Selection(frozenset({code})))[0].text


def test_fixes_remove_the_archive_and_skip_gem_documentation():
    text = D + "RUN curl -fsSLo /tmp/t.tgz https://x/t.tgz \\\n && tar -xzf /tmp/t.tgz -C /opt\n"
    assert fixed(text, "DLR004") == D + (
        "RUN curl -fsSLo /tmp/t.tgz https://x/t.tgz \\\n && tar -xzf /tmp/t.tgz -C /opt \\\n && rm -f /tmp/t.tgz\n"
    )
    relative = D + "RUN cd /tmp && wget https://x/t.tgz && cd / && tar -xzf /tmp/t.tgz\n"
    assert spans(relative, "DLR004") == ["https://x/t.tgz"] and fixed(relative, "DLR004") == relative  # no safe rm
    gem = "FROM ruby:3\nRUN gem install bundler -v 2.5.0 && gem update --system\n"
    assert fixed(gem, "DLR005") == (
        "FROM ruby:3\nRUN gem install --no-document bundler -v 2.5.0 && gem update --no-document --system\n"
    )
    assert spans("FROM ruby:3\nRUN echo 'gem: --no-document' > /etc/gemrc && gem install x\n", "DLR005") == []


def test_scanner_ids_select_the_rules_and_opinionated_ones_are_opt_in():
    assert canonical("ckv2_docker_2") == "DLS001" and canonical("CKV2_DOCKER_16") == "DLS003"
    rules = all_rules()
    security = [c for c in rules if c.startswith(("DLS", "DLR"))]
    assert len(security) >= 25
    off = {c for c in security if not rules[c].default}
    assert off == {"DLS016", "DLS018", "DLS019", "DLS020"}
    findings, _ = lint(parse(D + "RUN curl -fsSL https://x/i.sh | sh\n", "Dockerfile"), Selection.default())
    assert "DLS018" not in {f.code for f in findings}


def test_trivy_and_checkov_ids_name_the_hadolint_rules_they_match():
    assert [canonical(c) for c in ("DS026", "ckv_docker_2", "DS017", "CKV_DOCKER_5", "CKV2_DOCKER_1")] == [
        "DL3057", "DL3057", "DLT001", "DLT001", "DL3004"]
    text = D + "RUN apt-get update\nRUN sudo true\n"
    findings, _ = lint(parse(text, "Dockerfile"), Selection(frozenset({canonical("DS017"), canonical("DS010")})))
    assert {f.code for f in findings} == {"DLT001", "DL3004"}
