"""Package-manager commands: option values are never subcommands or packages."""

from __future__ import annotations

import pytest

from dlint.model import Dockerfile
from dlint.parsing.dockerfile import parse
from dlint.parsing.packages import PackageCommand, package_commands, package_name
from dlint.parsing.shell import run_script


def commands(line: str) -> tuple[Dockerfile, tuple[PackageCommand, ...]]:
    df = parse(f"FROM debian\nRUN {line}\n")
    script = run_script(df, df.instructions[1])
    assert script is not None
    return df, package_commands(script)


def one(line: str) -> PackageCommand:
    _, found = commands(line)
    assert len(found) == 1
    return found[0]


def packages(pc: PackageCommand) -> list[str]:
    return [w.value for w in pc.packages]


def option_values(pc: PackageCommand) -> dict[str, str | None]:
    return {o.name: o.value.value if o.value else None for o in pc.options}


@pytest.mark.parametrize(
    "line, manager, subcommand, expected_packages, options",
    [
        (
            "apt-get -o Dpkg::Options::=--force-confnew install -y foo",
            "apt-get", "install", ["foo"], {"-o": "Dpkg::Options::=--force-confnew", "-y": None},
        ),
        (
            "apt-get -t bookworm-backports -c /etc/apt.conf install -qy --no-install-recommends a b",
            "apt-get", "install", ["a", "b"],
            {"-t": "bookworm-backports", "-c": "/etc/apt.conf", "-q": None, "-y": None,
             "--no-install-recommends": None},
        ),
        ("apt -oAPT::Get::Assume-Yes=1 install x", "apt", "install", ["x"], {"-o": "APT::Get::Assume-Yes=1"}),
        (
            "apk add --no-cache --virtual .build-deps gcc musl-dev",
            "apk", "add", ["gcc", "musl-dev"], {"--no-cache": None, "--virtual": ".build-deps"},
        ),
        ("apk -X http://mirror/edge -t .deps add curl", "apk", "add", ["curl"],
         {"-X": "http://mirror/edge", "-t": ".deps"}),
        ("yum --enablerepo epel install x", "yum", "install", ["x"], {"--enablerepo": "epel"}),
        ("dnf --setopt=tsflags=nodocs -x kernel install -y x", "dnf", "install", ["x"],
         {"--setopt": "tsflags=nodocs", "-x": "kernel", "-y": None}),
        ("microdnf --nodocs install x", "microdnf", "install", ["x"], {"--nodocs": None}),
        ("zypper -n --root /mnt in -r oss x", "zypper", "install", ["x"], {"-n": None, "--root": "/mnt", "-r": "oss"}),
        ("pip3 install -r requirements.txt -i https://pypi/simple flask", "pip", "install", ["flask"],
         {"-r": "requirements.txt", "-i": "https://pypi/simple"}),
        ("python3 -m pip install --target /opt -c c.txt six", "pip", "install", ["six"],
         {"--target": "/opt", "-c": "c.txt"}),
        ("npm install -g --prefix /usr/local --registry=https://r typescript", "npm", "install", ["typescript"],
         {"-g": None, "--prefix": "/usr/local", "--registry": "https://r"}),
        ("go install -ldflags -s golang.org/x/tools/gopls@latest", "go", "install", ["golang.org/x/tools/gopls@latest"],
         {"-ldflags": "-s"}),
        ("gem install -v 7.1 --no-document rails", "gem", "install", ["rails"], {"-v": "7.1", "--no-document": None}),
        ("cargo install --version 14 --locked ripgrep", "cargo", "install", ["ripgrep"],
         {"--version": "14", "--locked": None}),
    ],
)
def test_options_taking_values_are_not_subcommands_or_packages(
    line: str, manager: str, subcommand: str, expected_packages: list[str], options: dict[str, str | None]
) -> None:
    pc = one(line)
    assert (pc.manager, pc.subcommand) == (manager, subcommand)
    assert packages(pc) == expected_packages
    assert option_values(pc) == options


def test_managers_through_wrappers_paths_and_sh_c() -> None:
    _, found = commands('sudo -u root /usr/bin/apt-get update && sh -c "DEBIAN_FRONTEND=x apt-get install -y a"')
    assert [(pc.manager, pc.subcommand, packages(pc)) for pc in found] == [
        ("apt-get", "update", []),
        ("apt-get", "install", ["a"]),
    ]


def test_pip_editable_value_is_a_package_and_pip_aliases() -> None:
    pc = one("pip install -e ./src django")
    assert packages(pc) == ["./src", "django"]
    assert option_values(pc) == {"-e": "./src"}
    assert one("python -m pip install x").manager == "pip"
    assert commands("python -c 'import pip' && python script.py")[1] == ()
    assert one("npm i left-pad").subcommand == "install"
    assert one("npm i left-pad").subcommand_word.value == "i"


def test_expansions_are_kept_as_packages_and_options_stay_out_of_the_subcommand() -> None:
    pc = one("apt-get $APT_OPTS install -y $PKGS curl")
    assert pc.subcommand == "install"
    assert [(w.value, w.literal) for w in pc.packages] == [("$PKGS", False), ("curl", True)]
    assert "$APT_OPTS" in option_values(pc)


def test_double_dash_ends_options() -> None:
    assert packages(one("apt-get install -y -- -weird-name x")) == ["-weird-name", "x"]


def test_no_subcommand() -> None:
    pc = one("apt-get -y")
    assert pc.subcommand is None and pc.subcommand_word is None and pc.packages == ()


def test_positions_of_packages_and_attached_values() -> None:
    df, (pc,) = commands("apk add --virtual=.deps \\\n    gcc")
    gcc = pc.packages[0]
    assert df.position(gcc.start_offset) == (3, 5)
    deps = pc.options[0].value
    assert deps is not None
    assert df.text[deps.start_offset : deps.end_offset] == ".deps"
    assert pc.subcommand_word is not None and df.position(pc.subcommand_word.start_offset) == (2, 9)


def test_other_commands_are_not_package_commands() -> None:
    assert commands("echo apt-get install x; apt-cache policy; pipx install y")[1] == ()


@pytest.mark.parametrize(
    "word, manager, name",
    [
        ("curl=7.88.1-10", "apt-get", "curl"),
        ("libc6:amd64", "apt-get", "libc6"),
        ("git/bookworm-backports", "apt", "git"),
        ("Zlib1g-Dev", "apt-get", "zlib1g-dev"),
        ("curl>=8", "apk", "curl"),
        ("py3-pip~23", "apk", "py3-pip"),
        ("ruby@edge", "apk", "ruby"),
        ("httpd-2.4.57", "yum", "httpd-2.4.57"),
        ("nginx>=1.20", "dnf", "nginx"),
        ("Django==4.2", "pip", "django"),
        ("typing_extensions[x]~=4.0", "pip", "typing-extensions"),
        ("@types/node@20", "npm", "@types/node"),
        ("yarn@1.22.19", "npm", "yarn"),
        ("rails:7.1", "gem", "rails"),
        ("golang.org/x/tools@v0.1", "go", "golang.org/x/tools"),
        ("vendor/pkg:^1.2", "composer", "vendor/pkg"),
    ],
)
def test_package_name_strips_version_pins(word: str, manager: str, name: str) -> None:
    assert package_name(word, manager) == name
