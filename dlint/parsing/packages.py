"""Package-manager commands: manager, subcommand, options and package words.

The subcommand is the first word that is not an option, so every option that
takes a value must be known per manager: otherwise `apt-get -o X=Y install`
reads `X=Y` as the subcommand and `apk add --virtual .deps gcc` lists `.deps`
as a package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.parsing.expansion import Outer, Variables, nothing
from dlint.parsing.shell import Command, Script, Word


class Option(NamedTuple):
    name: str  # "-y", "--no-install-recommends", "-o"; a cluster `-qy` gives "-q" and "-y"
    value: Word | None  # `-o X=Y`, `--enablerepo=epel` (the part after `=`), None for flags


@dataclass(frozen=True)
class PackageCommand:
    """One package manager call of a RUN, its words kept so that rules can point at them and fixes edit them."""

    manager: str  # canonical program: "apt-get", "pip" (also for pip3 and python -m pip)
    subcommand: str | None  # canonical: zypper's `in` is "install"
    subcommand_word: Word | None  # as written
    options: tuple[Option, ...]
    packages: tuple[Word, ...]  # the non-option words after the subcommand, as written
    command: Command
    variables: Variables | None = field(default=None, compare=False, repr=False)

    def package_words(self) -> tuple[Word, ...]:
        """The packages as the manager receives them: a `$NAME` word whose value dlint knows for
        certain becomes that value's words, each placed at the `$NAME` and marked with `via`.

        A value that would add an option (`-y`) is left unread: the words around it would
        then mean something else. Only rules that report read these; no fix edits them.
        """
        if self.variables is None or all(w.literal for w in self.packages):
            return self.packages
        out: list[Word] = []
        for word in self.packages:
            pieces = None if word.literal else self.variables.words(self.command, word)
            if pieces is None or any(p.startswith("-") for p in pieces):
                out.append(word)
            else:
                out += [Word(word.raw, p, True, word.start_offset, word.end_offset, via=word.raw) for p in pieces]
        return tuple(out)


class _Syntax(NamedTuple):
    short_values: str = ""  # short options that take a value
    long_values: frozenset[str] = frozenset()  # long options that take a value (`--x v` or `--x=v`)
    clusters: bool = True  # `-qy` is `-q -y`; False for Go's single-dash long options
    aliases: Mapping[str, str] = {}  # never mutated
    package_values: frozenset[str] = frozenset()  # options whose value is a package too (pip -e)
    version_marks: str = "=<>"  # where a version pin starts in a package word


def _longs(names: str) -> frozenset[str]:
    return frozenset(names.split())


_APT = _Syntax(
    "otcaPS",
    _longs("--option --target-release --default-release --config-file --host-architecture --build-profiles "
           "--snapshot --solver"),
    version_marks="=/:<>",
)
_RPM_LONGS = _longs(
    "--enablerepo --disablerepo --setopt --installroot --config --releasever --exclude --excludepkgs --repo "
    "--repoid --debuglevel --errorlevel --rpmverbosity --downloaddir --destdir --forcearch --color --randomwait "
    "--repofrompath --disableplugin --enableplugin --advisory --advisories --bz --cve --secseverity "
    "--sec-severity --comment --platform-id"
)
_RPM = _Syntax("cxdeR", _RPM_LONGS)
_NPM_INSTALL = {a: "install" for a in "i in ins inst insta instal isnt isnta isntal isntall add".split()}
_NPM_UNINSTALL = {a: "uninstall" for a in "un remove rm r unlink".split()}

_SYNTAX: dict[str, _Syntax] = {
    "apt-get": _APT,
    "apt": _APT,
    "aptitude": _Syntax(
        "otFwSO",
        _longs("--option --target-release --default-release --display-format --width --sort --log-file"),
        version_marks="=/:<>",
    ),
    "apk": _Syntax(
        "Xpt",
        _longs("--repository --root --arch --keys-dir --virtual --cache-dir --repositories-file --wait "
               "--cache-max-age --timeout"),
        version_marks="=<>~@",
    ),
    "yum": _RPM,
    "dnf": _RPM,
    "microdnf": _RPM,
    "zypper": _Syntax(
        "cRDCrtp",
        _longs("--root --config --reposd-dir --cache-dir --raw-cache-dir --solv-cache-dir --pkg-cache-dir "
               "--repo --type --from --download --plus-repo --plus-content --userdata"),
        aliases={"in": "install", "rm": "remove", "ref": "refresh", "up": "update", "dup": "dist-upgrade",
                 "se": "search", "ve": "verify", "ar": "addrepo", "rr": "removerepo"},
    ),
    "pip": _Syntax(
        "rceitfC",
        _longs("--requirement --constraint --editable --index-url --extra-index-url --target --prefix --root "
               "--find-links --platform --python-version --implementation --abi --src --upgrade-strategy "
               "--progress-bar --trusted-host --cache-dir --log --log-file --proxy --retries --timeout "
               "--exists-action --cert --client-cert --global-option --install-option --config-settings "
               "--only-binary --no-binary --report --python --root-user-action --use-feature "
               "--use-deprecated"),
        package_values=frozenset({"-e", "--editable"}),
        version_marks="=<>~![;@ ,",
    ),
    "npm": _Syntax(
        "wC",
        _longs("--prefix --registry --cache --userconfig --globalconfig --loglevel --workspace --omit "
               "--include --tag --otp --scope --install-strategy"),
        aliases={**_NPM_INSTALL, **_NPM_UNINSTALL, "ic": "ci", "clean-install": "ci", "install-clean": "ci"},
        version_marks="@",
    ),
    "yarn": _Syntax(
        "",
        _longs("--cwd --modules-folder --cache-folder --network-timeout --registry --mutex --global-folder "
               "--link-folder --use-yarnrc --network-concurrency"),
        version_marks="@",
    ),
    "pnpm": _Syntax(
        "CF",
        _longs("--dir --filter --store-dir --registry --reporter --virtual-store-dir --modules-dir --loglevel "
               "--workspace-concurrency"),
        aliases={"i": "install", "rm": "remove", "un": "remove", "uninstall": "remove"},
        version_marks="@",
    ),
    "gem": _Syntax(
        "vinP",
        _longs("--version --install-dir --bindir --source --trust-policy --platform --build-root"),
        version_marks=":=<>~",
    ),
    "go": _Syntax(
        long_values=_longs("-o -ldflags -gcflags -asmflags -gccgoflags -tags -mod -modfile -p -C -buildmode "
                           "-compiler -installsuffix -pkgdir -toolexec -overlay -pgo -exec"),
        clusters=False,
        version_marks="@",
    ),
    "cargo": _Syntax(
        "jFZCp",
        _longs("--version --vers --git --branch --tag --rev --path --root --index --registry --jobs --target "
               "--target-dir --features --profile --bin --example --config --color --manifest-path --package"),
        version_marks="@",
    ),
    "composer": _Syntax("d", _longs("--working-dir --ignore-platform-req --prefer-install"), version_marks=":= "),
    "bundle": _Syntax(
        "j",
        _longs("--jobs --path --without --with --gemfile --retry --shebang --trust-policy --target-rbconfig"),
    ),
}
_PROGRAMS = {name: name for name in _SYNTAX} | {"bundler": "bundle"}
_PIP = lazy(r"pip[0-9.]*")
_PYTHON = lazy(r"python[0-9.]*")
_PYTHON_VALUES = frozenset("XWQ")  # interpreter options that take a value


def package_commands(script: Script, outer: Outer = nothing) -> tuple[PackageCommand, ...]:
    """Every package-manager command the script runs, in source order; `outer` gives the values
    ENV and ARG hand the RUN, for packages named through a variable."""
    variables = Variables(script, outer)
    found = (_package_command(command, variables) for command in script.commands)
    return tuple(pc for pc in found if pc is not None)


def package_name(value: str, manager: str) -> str:
    """A package word without its version pin, lower-cased: what sorting and duplicates compare.

    `curl=7.88` -> "curl", `libc6:amd64` -> "libc6", `@types/node@20` -> "@types/node";
    yum's `-<version>` suffix is part of the name there and is kept.
    """
    syntax = _SYNTAX.get(manager)
    marks = syntax.version_marks if syntax else "=<>"
    name = value[:1] + _cut(value[1:], marks)  # a leading mark is part of the name (npm `@scope`)
    name = name.strip().lower()
    if manager == "pip" and name[:1].isalnum():  # PEP 503 normalisation; leaves paths like `.` alone
        return re.sub(r"[-_.]+", "-", name)
    return name


def _cut(text: str, marks: str) -> str:
    cut = min((i for i in (text.find(m) for m in marks) if i >= 0), default=len(text))
    return text[:cut]


def _package_command(command: Command, variables: Variables) -> PackageCommand | None:
    manager, args = _manager(command)
    if manager is None:
        return None
    syntax = _SYNTAX[manager]
    subcommand, options, packages = _split(syntax, args)
    canonical = syntax.aliases.get(subcommand.value, subcommand.value) if subcommand else None
    return PackageCommand(manager, canonical, subcommand, tuple(options), tuple(packages), command, variables)


def _manager(command: Command) -> tuple[str | None, Sequence[Word]]:
    """The canonical manager and the words after the program (after `-m pip` for python)."""
    name = command.name
    if name in _PROGRAMS:
        return _PROGRAMS[name], command.args
    if _PIP.fullmatch(name):
        return "pip", command.args
    if not _PYTHON.fullmatch(name):
        return None, ()
    args = command.args
    i = 0
    while i < len(args) and args[i].value.startswith("-") and args[i].literal:
        opt = args[i].value
        if opt in ("-m", "-mpip"):
            module_at = i + 1 if opt == "-m" else i
            if opt == "-mpip" or (module_at < len(args) and args[module_at].value == "pip"):
                return "pip", args[module_at + 1 :]
            return None, ()
        if opt.startswith("-c") or opt == "-":
            return None, ()  # runs a command string or stdin, not a module
        i += 2 if opt[-1] in _PYTHON_VALUES and len(opt) == 2 else 1
    return None, ()


def _split(syntax: _Syntax, words: Sequence[Word]) -> tuple[Word | None, list[Option], list[Word]]:
    subcommand: Word | None = None
    options: list[Option] = []
    packages: list[Word] = []
    i, options_end = 0, False
    while i < len(words):
        word = words[i]
        value = word.value
        i += 1
        if not options_end and word.literal and value == "--":
            options_end = True
        elif not options_end and value.startswith("-") and len(value) > 1:
            parsed, used = _option(syntax, word, words[i:])
            i += used
            options += parsed
            packages += [o.value for o in parsed if o.value is not None and o.name in syntax.package_values]
        elif subcommand is None and not word.literal:
            options.append(Option(value, None))  # `apt-get $OPTS install`: not the subcommand
        elif subcommand is None:
            subcommand = word
        else:
            packages.append(word)
    return subcommand, options, packages


def _option(syntax: _Syntax, word: Word, following: Sequence[Word]) -> tuple[list[Option], int]:
    """The options one word spells, and how many following words they take as values."""
    value = word.value
    if value.startswith("--") or not syntax.clusters:
        name, eq, attached = value.partition("=")
        if eq:
            return [Option(name, _tail(word, attached))], 0
        if name in syntax.long_values and following:
            return [Option(name, following[0])], 1
        return [Option(name, None)], 0
    options: list[Option] = []
    for k, ch in enumerate(value[1:], 1):
        if not ch.isalnum():
            break
        if ch in syntax.short_values:
            rest = value[k + 1 :].removeprefix("=")
            if rest:
                return [*options, Option("-" + ch, _tail(word, rest))], 0
            if following:
                return [*options, Option("-" + ch, following[0])], 1
        options.append(Option("-" + ch, None))
    return options, 0


def _tail(word: Word, tail: str) -> Word:
    """The value attached to an option word (`--enablerepo=epel`), located inside it when possible."""
    start = word.start_offset
    if word.raw == word.value:
        start = word.end_offset - len(tail)
    literal = word.literal or not any(c in tail for c in "$`")
    return Word(tail, tail, literal, start, word.end_offset)

