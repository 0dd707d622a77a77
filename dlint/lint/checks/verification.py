"""Security checks: TLS and signature verification turned off, by a command's options or by the
variables the tools read. Each maps to the Checkov id scanners report (the pages say which)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import arg_names, operands, pairs, with_triggers
from dlint.lint.checks.run_commands import (
    commands_mentioning,
    commands_named,
    run_commands,
    short_options,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.shell import Command, Word

# curl's short options that take a value: in `-sSLo out` the `o` ends the cluster.
CURL_VALUES = "AbcCdDeEFHKmoPQrtTuUwxXyYz"
FALSE = frozenset({"0", "false", "no", "off"})
RPM_MANAGERS = frozenset({"yum", "dnf", "tdnf", "microdnf"})


def option_words(cmd: Command) -> Iterator[Word]:
    """The command's literal arguments before `--` (after it nothing is an option)."""
    for word in cmd.args:
        if word.value == "--":
            return
        if word.literal:
            yield word


def long_option(word: Word, *names: str) -> bool:
    """`--name` or `--name=...`."""
    return any(word.value == n or word.value.startswith(n + "=") for n in names)


def option_spans(
    ctx: Context, code: str, message: str, programs: frozenset[str], test: Callable[[Command, Word], bool]
) -> Iterator[Violation]:
    """A violation at each option word `test` accepts, in commands named in `programs`."""
    for instr, cmd in commands_named(ctx, programs):
        for word in option_words(cmd):
            if test(cmd, word):
                yield ctx.violation(code, message.format(option=word.value), instr, word.start_offset, word.end_offset)
                break


Assignment = tuple[Instruction, str, int, int]  # where findings go, the value, its span


def env_assignments(ctx: Context, name: str) -> list[Assignment]:
    """(instruction, value, span) wherever the build sets `name`: ENV, ARG defaults, and
    `NAME=value` in front of a command in a RUN (the value as the shell sees it). Every
    assignment of the file is read once and kept by name: several rules ask."""
    return ctx.per_file(_assignments).get(name, [])


def _assignments(ctx: Context) -> dict[str, list[Assignment]]:
    df = ctx.dockerfile
    esc = df.directives.escape
    table: dict[str, list[Assignment]] = {}
    for instr, said in with_triggers(df, "ENV"):
        for key, value in ctx.per_instruction(pairs, said):
            table.setdefault(key.value, []).append((instr, value.value, key.start, value.end))
    for instr, said in with_triggers(df, "ARG"):
        for op, raw in zip(ctx.per_instruction(arg_names, said), said.values):
            if "=" in raw:
                whole = operands(said, esc, (raw,))[0]
                table.setdefault(op.value, []).append((instr, whole.value.partition("=")[2], op.start, whole.end))
    for instr, cmd in run_commands(ctx):
        for word in cmd.assignments:
            key, _, value = word.value.partition("=")
            table.setdefault(key, []).append((instr, value, word.start_offset, word.end_offset))
    for found in table.values():
        found.sort(key=lambda a: a[2])
    return table


def insecure_variable(ctx: Context, code: str, name: str, insecure: Callable[[str], bool], why: str) -> Iterator[Violation]:
    for instr, value, start, end in env_assignments(ctx, name):
        if "$" not in value and insecure(value.strip().lower()):
            yield ctx.violation(code, f"`{name}={value}` {why}", instr, start, end)


def config_set(cmd: Command, key: str, insecure: Callable[[str], bool]) -> Word | None:
    """`TOOL config set KEY VALUE` / `KEY=VALUE` (npm, yarn, pip): the word naming the key, when insecure."""
    words = [w for w in cmd.args if w.literal]
    values = [w.value for w in words]
    for i in range(len(values) - 1):
        if values[i] in ("config", "c") and values[i + 1] == "set" and i + 2 < len(values):
            setting, rest = values[i + 2], values[i + 3 :]
            k, sep, v = setting.partition("=")
            value = v if sep else (rest[0] if rest else "")
            if k.lower().rsplit(".", 1)[-1] == key and insecure(value.lower()):
                return words[i + 2]
    return None


@rule("DLS001")
def curl_insecure(ctx: Context) -> Iterator[Violation]:
    return option_spans(
        ctx, "DLS001", "`curl {option}` accepts any certificate: a man in the middle can serve the download; "
        "fix the CA bundle instead (`ca-certificates`, `--cacert`)",
        frozenset({"curl"}),
        lambda cmd, w: long_option(w, "--insecure") or any(ch == "k" for ch, _ in short_options(w.value, CURL_VALUES)),
    )


@rule("DLS002")
def wget_no_check_certificate(ctx: Context) -> Iterator[Violation]:
    return option_spans(
        ctx, "DLS002", "`wget {option}` accepts any certificate: a man in the middle can serve the download; "
        "install `ca-certificates` instead",
        frozenset({"wget"}),
        lambda cmd, w: w.value == "--no-check-certificate" or w.value.replace("_", "").lower() in (
            "checkcertificate=off", "checkcertificate=0"),
    )


def _pip(cmd: Command) -> bool:
    return cmd.name.startswith("pip") or (
        cmd.name.startswith("python") and len(cmd.args) > 1 and cmd.args[0].value == "-m" and cmd.args[1].value.startswith("pip"))


@rule("DLS003")
def pip_trusted_host(ctx: Context) -> Iterator[Violation]:
    why = "skips TLS verification for that host: a man in the middle can serve any package; use HTTPS with a valid certificate"
    for instr, cmd in commands_named(ctx, lambda name: name.startswith(("pip", "python"))):
        if not _pip(cmd):
            continue
        word = next((w for w in option_words(cmd) if long_option(w, "--trusted-host")), None)
        word = word or config_set(cmd, "trusted-host", bool)
        if word is not None:
            yield ctx.violation("DLS003", f"pip's `{word.value}` {why}", instr, word.start_offset, word.end_offset)
    yield from insecure_variable(ctx, "DLS003", "PIP_TRUSTED_HOST", bool, why)


@rule("DLS004")
def python_https_verify(ctx: Context) -> Iterator[Violation]:
    return insecure_variable(ctx, "DLS004", "PYTHONHTTPSVERIFY", lambda v: v == "0",
                             "turns off certificate checks for every HTTPS request Python's standard library makes")


@rule("DLS005")
def node_tls_reject_unauthorized(ctx: Context) -> Iterator[Violation]:
    return insecure_variable(ctx, "DLS005", "NODE_TLS_REJECT_UNAUTHORIZED", lambda v: v == "0",
                             "makes Node.js accept any certificate, for npm at build time and for the app at run time")


@rule("DLS006")
def npm_strict_ssl(ctx: Context) -> Iterator[Violation]:
    why = "makes npm/yarn accept any registry certificate: a man in the middle can serve any package"
    for instr, cmd in commands_named(ctx, ("npm", "yarn", "pnpm")):
        word = next((w for w in option_words(cmd) if w.value.lower() in ("--strict-ssl=false", "--no-strict-ssl")), None)
        word = word or config_set(cmd, "strict-ssl", lambda v: v in FALSE)
        if word is not None:
            yield ctx.violation("DLS006", f"`{cmd.name} ... {word.value}` {why}", instr, word.start_offset, word.end_offset)
    for name in ("NPM_CONFIG_STRICT_SSL", "npm_config_strict_ssl"):
        yield from insecure_variable(ctx, "DLS006", name, lambda v: v in FALSE, why)


@rule("DLS007")
def git_ssl_no_verify(ctx: Context) -> Iterator[Violation]:
    why = "makes git accept any certificate: a man in the middle can serve other sources"
    setting = re.compile(r"http(\..*)?\.sslverify(=(false|0|no|off))?$", re.IGNORECASE)
    for instr, cmd in commands_named(ctx, ("git",)):
        words = [w for w in cmd.args if w.literal]
        for i, w in enumerate(words):
            after = words[i + 1].value.lower() if i + 1 < len(words) else ""
            m = setting.match(w.value)
            if m and (m.group(2) or (i and words[i - 1].value in ("config", "--global", "--system") and after in FALSE)):
                yield ctx.violation("DLS007", f"git's `{w.value}` {why}", instr, w.start_offset, w.end_offset)
                break
    # git skips verification for any non-empty value of the variable.
    yield from insecure_variable(ctx, "DLS007", "GIT_SSL_NO_VERIFY", bool, why)


@rule("DLS008")
def go_insecure(ctx: Context) -> Iterator[Violation]:
    yield from insecure_variable(ctx, "DLS008", "GOINSECURE", bool,
                                 "lets `go` fetch those modules over plain HTTP or with any certificate")
    yield from insecure_variable(ctx, "DLS008", "GOSUMDB", lambda v: v == "off",
                                 "turns off the checksum database that proves modules are the published ones")


@rule("DLS009")
def apk_allow_untrusted(ctx: Context) -> Iterator[Violation]:
    return option_spans(
        ctx, "DLS009", "`apk {option}` installs packages whose signature does not verify",
        frozenset({"apk"}), lambda cmd, w: w.value == "--allow-untrusted",
    )


_TRUSTED_SOURCE = lazy(r"\[[^\]]*\btrusted=(yes|true|1)\b[^\]]*\]", re.IGNORECASE)
_APT_UNAUTHENTICATED = lazy(r"apt::get::allowunauthenticated=(true|1|yes)$", re.IGNORECASE)


@rule("DLS010")
def apt_unauthenticated(ctx: Context) -> Iterator[Violation]:
    """The `[trusted=yes]` source may be written by any command (`echo ... > sources.list`)."""
    for instr, cmd in commands_mentioning(ctx, "--allow-", "--force-yes", "allowunauthenticated", "trusted="):
        words = [w for w in cmd.args if w.literal]
        found = None
        if cmd.name in ("apt-get", "apt", "aptitude"):
            found = next((w for w in words if w.value in ("--allow-unauthenticated", "--force-yes",
                                                          "--allow-insecure-repositories")
                          or _APT_UNAUTHENTICATED.match(w.value)), None)
        found = found or next((w for w in words if _TRUSTED_SOURCE.search(w.value)), None)
        if found is not None:
            yield ctx.violation("DLS010", f"`{found.value}` lets apt install packages whose signature it cannot "
                                "verify; import the repository's key (`signed-by=`) instead", instr,
                                found.start_offset, found.end_offset)


_GPGCHECK_OFF = lazy(r"(^|[\s.=]|\\n)(repo_)?gpgcheck\s*=\s*(0|false|no)\b", re.IGNORECASE)


@rule("DLS011")
def rpm_gpgcheck_off(ctx: Context) -> Iterator[Violation]:
    """`gpgcheck=0` counts in an option (`--setopt=...`) and in any text a RUN writes (a `.repo` file)."""
    for instr, cmd in commands_mentioning(ctx, "gpgcheck", "gpg-check"):
        words = [w for w in cmd.args if w.literal]
        found = None
        if cmd.name in RPM_MANAGERS:
            found = next((w for w in words if w.value == "--nogpgcheck"), None)
        elif cmd.name == "zypper":
            found = next((w for w in words if w.value in ("--no-gpg-checks", "--no-gpgcheck")), None)
        found = found or next((w for w in words if _GPGCHECK_OFF.search(w.value)), None)
        if found is not None:
            yield ctx.violation("DLS011", f"`{found.value}` installs packages whose signature is not checked; "
                                "import the repository's key (`rpm --import`) instead", instr,
                                found.start_offset, found.end_offset)


@rule("DLS012")
def rpm_no_signature(ctx: Context) -> Iterator[Violation]:
    return option_spans(
        ctx, "DLS012", "`rpm {option}` installs a package without checking its signature or digests",
        frozenset({"rpm"}), lambda cmd, w: w.value in ("--nosignature", "--nodigest", "--nofiledigest", "--noverify"),
    )


_SSLVERIFY_OFF = lazy(r"(^|[\s.=]|\\n)sslverify\s*=\s*['\"]?(0|false|no)\b", re.IGNORECASE)


@rule("DLS013")
def rpm_sslverify_off(ctx: Context) -> Iterator[Violation]:
    for instr, cmd in commands_mentioning(ctx, "sslverify"):
        if cmd.name == "git":  # `http.sslVerify`: DLS007
            continue
        found = next((w for w in cmd.args if w.literal and _SSLVERIFY_OFF.search(w.value)), None)
        if found is not None:
            yield ctx.violation("DLS013", f"`{found.value}` makes yum/dnf accept any repository certificate",
                                instr, found.start_offset, found.end_offset)
