"""Security checks on what a build trusts and what it leaves in the image: insecure RUNs, the
Docker socket, dependency confusion, passwords in commands, piped installers, unpinned inputs and
secret files copied from the context."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.copy_add import basename, copies, is_remote
from dlint.lint.checks.images import external_images
from dlint.lint.checks.operands import copy_operands, operands, with_triggers
from dlint.lint.checks.run_commands import commands_named
from dlint.lint.checks.verification import env_assignments, long_option, option_words
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction

DOCKER_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "python", "python3", "perl", "ruby", "node"})
DOWNLOADERS = frozenset({"curl", "wget"})
SECRET_FILES = frozenset({
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".npmrc", ".pypirc", ".netrc", ".git-credentials",
    ".dockercfg", ".htpasswd", "credentials.json", "service-account.json",
})
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".keystore")


def _runs_with_flags(ctx: Context) -> Iterator[tuple[Instruction, Instruction]]:
    """(where findings go, the RUN whose flags are read): ONBUILD RUN included."""
    yield from with_triggers(ctx.dockerfile, "RUN")


@rule("DLS014")
def run_security_insecure(ctx: Context) -> Iterator[Violation]:
    for instr, run in _runs_with_flags(ctx):
        for flag in run.flags_named("security"):
            if (flag.value or "").lower() == "insecure":
                yield ctx.violation("DLS014", "`RUN --security=insecure` runs the command with every capability "
                                    "and no seccomp or AppArmor profile: a build step can take over the builder",
                                    instr, flag.start_offset, flag.end_offset)


def _names_socket(path: str) -> bool:
    return path.rstrip("/") in DOCKER_SOCKETS


@rule("DLS015")
def docker_socket(ctx: Context) -> Iterator[Violation]:
    """A bind mount of the socket, or COPY/ADD/VOLUME of it: the build or the container then
    controls the host's engine."""
    why = "gives whatever runs there control of the Docker Engine, and so root on its host"
    for instr, run in _runs_with_flags(ctx):
        for flag in run.flags_named("mount"):
            opts = flag.options()
            if any(_names_socket(opts.get(k, "")) for k in ("source", "src", "target", "dst", "destination")):
                yield ctx.violation("DLS015", f"mounting the Docker socket into a RUN {why}", instr,
                                    flag.start_offset, flag.end_offset)
    df = ctx.dockerfile
    for keyword in ("VOLUME", "COPY", "ADD"):
        for instr, said in with_triggers(df, keyword):
            if "docker.sock" not in df.text_of(said):
                continue
            for op in ctx.per_instruction(operands, said):
                if _names_socket(op.value.strip('[]"\' ,')):
                    yield ctx.violation("DLS015", f"`{keyword} {op.value}`: the Docker socket in an image {why}",
                                        instr, op.start, op.end)
                    break


@rule("DLS016")
def pip_extra_index_url(ctx: Context) -> Iterator[Violation]:
    why = ("makes pip pick the highest version from either index: anyone can publish your private package's "
           "name on PyPI (dependency confusion); use `--index-url` with a proxy that serves both")
    for instr, cmd in commands_named(ctx, lambda name: name.startswith(("pip", "python"))):
        if cmd.name.startswith("pip") or any(w.value.startswith("pip") for w in cmd.args[1:2]):
            word = next((w for w in option_words(cmd) if long_option(w, "--extra-index-url")), None)
            if word is not None:
                yield ctx.violation("DLS016", f"`{word.value}` {why}", instr, word.start_offset, word.end_offset)
    for instr, value, start, end in env_assignments(ctx, "PIP_EXTRA_INDEX_URL"):
        if value:
            yield ctx.violation("DLS016", f"`PIP_EXTRA_INDEX_URL` {why}", instr, start, end)


@rule("DLS017")
def password_on_command_line(ctx: Context) -> Iterator[Violation]:
    """`chpasswd` reads `user:password` lines that the Dockerfile must then hold; `useradd -p`
    and `usermod -p` take the hash as an argument: both end up in the image history."""
    for instr, cmd in commands_named(ctx, ("chpasswd", "chgpasswd", "useradd", "usermod", "adduser", "passwd")):
        word = None
        if cmd.name in ("chpasswd", "chgpasswd"):
            word = cmd.words[0]
        elif cmd.name in ("useradd", "usermod", "adduser"):
            word = next((w for w in option_words(cmd) if w.value in ("-p", "--password") or
                         long_option(w, "--password") or (w.value.startswith("-p") and len(w.value) > 2
                                                          and not w.value.startswith("--"))), None)
        elif cmd.name == "passwd":
            word = next((w for w in option_words(cmd) if w.value == "--stdin"), None)
        if word is not None:
            yield ctx.violation("DLS017", f"`{cmd.name}` sets a password from the Dockerfile: it is stored in the "
                                "image history for anyone who pulls the image; lock the account, or set the "
                                "password at run time from a secret", instr, word.start_offset, word.end_offset)


@rule("DLS018")
def download_piped_to_shell(ctx: Context) -> Iterator[Violation]:
    """`curl URL | sh`: nothing checks what ran. A pipe into `sha256sum -c`/`gpg` earlier in the
    RUN is a check the author made, so the RUN is left alone."""
    for instr in ctx.runs():
        script = ctx.script(instr)
        if script is None or not script.has_pipe:
            continue
        if any(cmd.name in ("sha256sum", "sha512sum", "shasum", "gpg", "gpgv", "cosign", "minisign")
               for cmd in script.commands):
            continue
        commands = script.commands
        for i in range(len(commands) - 1):
            fetch, shell = commands[i], commands[i + 1]
            if (fetch.name in DOWNLOADERS and fetch.in_pipeline and shell.in_pipeline and shell.name in SHELLS
                    and shell.start_offset > fetch.end_offset):
                yield ctx.violation("DLS018", f"`{fetch.name} ... | {shell.name}` runs whatever the server sends; "
                                    "download to a file, verify its checksum or signature, then run it",
                                    instr, fetch.start_offset, shell.end_offset)
                break


@rule("DLS019")
def from_without_digest(ctx: Context) -> Iterator[Violation]:
    for stage, ref, op in external_images(ctx.dockerfile):
        if ref.digest is None:
            yield ctx.violation("DLS019", f"`{op.value}` is not pinned by digest: the tag can be moved to other "
                                "content; write `image:tag@sha256:...`", stage.from_instruction, op.start, op.end)


@rule("DLS020")
def add_remote_without_checksum(ctx: Context) -> Iterator[Violation]:
    for instr in copies(ctx.dockerfile, ("ADD",)):
        if instr.flag("checksum") is not None:
            continue
        sources, _ = ctx.per_instruction(copy_operands, instr)
        for source in sources:
            if source.value.lower().startswith(("http://", "https://")):
                yield ctx.violation("DLS020", f"`ADD {source.value}` is not checked: say what you expect with "
                                    "`ADD --checksum=sha256:...`", instr, source.start, source.end)


_MAY_NAME_SECRET = lazy(
    "|".join(re.escape(n) for n in sorted(SECRET_FILES | set(SECRET_SUFFIXES))), re.IGNORECASE)  # a cheap first look


def is_secret_file(path: str) -> bool:
    name = basename(path).lower()
    return name in SECRET_FILES or name.endswith(SECRET_SUFFIXES)


@rule("DLS021")
def secret_file_copied(ctx: Context) -> Iterator[Violation]:
    """Only sources from the build context: `COPY --from=stage` moves files already inside the build."""
    df = ctx.dockerfile
    for instr in copies(df, ("COPY", "ADD")):
        if instr.flag("from") is not None or not _MAY_NAME_SECRET.search(df.text_of(instr)):
            continue
        sources, _ = ctx.per_instruction(copy_operands, instr)
        for source in sources:
            if not is_remote(source.value) and "$" not in source.value and is_secret_file(source.value):
                yield ctx.violation("DLS021", f"`{source.value}` looks like a credential: it stays in that layer even "
                                    "if a later step deletes it; use `RUN --mount=type=secret` or `--mount=type=ssh`",
                                    instr, source.start, source.end)
