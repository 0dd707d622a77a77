"""Rules about single commands a RUN executes, wherever they sit: `sudo`, `sh -c`, pipes, heredocs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.shell import LOGIN_SU, Command

# Interactive or host-level programs that do nothing useful while an image builds.
POINTLESS = frozenset({"free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim"})
DOWNLOADERS = ("curl", "wget")


def run_commands(ctx: Context) -> Iterator[tuple[Instruction, Command]]:
    """(RUN, command) for every command of every RUN, in file order: listed once per file, as
    dozens of rules walk them."""
    return iter(ctx.per_file(_run_commands))


def _run_commands(ctx: Context) -> tuple[tuple[Instruction, Command], ...]:
    scripts = [(instr, ctx.script(instr)) for instr in ctx.runs()]
    return tuple((instr, cmd) for instr, s in scripts if s is not None for cmd in s.commands)


def commands_named(ctx: Context, names: Collection[str] | Callable[[str], bool]) -> Iterator[tuple[Instruction, Command]]:
    """(RUN, command) for the commands whose name is in `names` (or passes it), in file order: the
    index by name is built once per file, so each rule looks only at the programs it is about."""
    index = ctx.per_file(_by_name)
    wanted = [n for n in index if n in names] if not callable(names) else [n for n in index if names(n)]
    if len(wanted) == 1:
        return iter(index[wanted[0]])
    return iter(sorted((p for n in wanted for p in index[n]), key=lambda p: (p[0].index, p[1].start_offset)))


def _by_name(ctx: Context) -> dict[str, list[tuple[Instruction, Command]]]:
    index: dict[str, list[tuple[Instruction, Command]]] = {}
    for pair in run_commands(ctx):
        index.setdefault(pair[1].name, []).append(pair)
    return index


def commands_mentioning(ctx: Context, *needles: str) -> Iterator[tuple[Instruction, Command]]:
    """(RUN, command) in the RUNs whose text holds one of `needles` (lower case) at all: rules that
    read every word for a setting skip the RUNs that cannot have it."""
    for instr, text in ctx.per_file(_lowered_runs):
        if any(n in text for n in needles):
            script = ctx.script(instr)
            for cmd in script.commands if script is not None else ():
                yield instr, cmd


def _lowered_runs(ctx: Context) -> list[tuple[Instruction, str]]:
    return [(instr, ctx.dockerfile.text_of(instr).lower()) for instr in ctx.runs()]


def each_command(ctx: Context, code: str, matches: Callable[[Command], bool], message: str) -> Iterator[Violation]:
    """A violation spanning each command of each RUN that `matches`; `{name}` in `message` is its name."""
    for instr, cmd in run_commands(ctx):
        if matches(cmd):
            yield ctx.violation(code, message.format(name=cmd.name), instr, cmd.start_offset, cmd.end_offset)


@rule("DL3001")
def pointless_command(ctx: Context) -> Iterator[Violation]:
    return each_command(
        ctx,
        "DL3001",
        lambda cmd: cmd.name in POINTLESS,
        "`{name}` makes no sense while an image builds: there is no terminal, no running service and no other "
        "process to act on",
    )


@rule("DL3003")
def cd_instead_of_workdir(ctx: Context) -> Iterator[Violation]:
    return each_command(
        ctx,
        "DL3003",
        # Not in a login `su`'s shell (`su -`): it starts in the user's home, where WORKDIR does not lead.
        lambda cmd: cmd.name == "cd" and LOGIN_SU not in cmd.wrappers,
        "`cd` changes the directory for this RUN only; use WORKDIR, or `make -C`/`tar -C` style options",
    )


@rule("DL3004")
def sudo(ctx: Context) -> Iterator[Violation]:
    return each_command(
        ctx,
        "DL3004",
        lambda cmd: cmd.name == "sudo" or "sudo" in cmd.wrappers,
        "`sudo` in a build: RUN already runs as the current USER; switch with `USER root` and back, "
        "or use `gosu`/`su-exec` at run time",
    )


# useradd options that take a value (attached, `-u1000`, or as the next word).
_USERADD_VALUES = "bcdefgGkKpsuRPZ"


def short_options(arg: str, takes_value: str) -> list[tuple[str, str]]:
    """`-lmu1000` -> [("l", ""), ("m", ""), ("u", "1000")]: a cluster ends at an option with a value."""
    out: list[tuple[str, str]] = []
    if not arg.startswith("-") or arg.startswith("--"):
        return out
    for k, ch in enumerate(arg[1:], 1):
        if ch in takes_value:
            out.append((ch, arg[k + 1 :]))
            break
        out.append((ch, ""))
    return out


def useradd_uid(cmd: Command) -> str | None:
    args = [w.value for w in cmd.args]
    for i, arg in enumerate(args):
        following = args[i + 1] if i + 1 < len(args) else None
        if arg == "--uid":
            return following
        if arg.startswith("--uid="):
            return arg[len("--uid=") :]
        for ch, attached in short_options(arg, _USERADD_VALUES):
            if ch == "u":
                return attached or following
    return None


def useradd_no_log_init(cmd: Command) -> bool:
    return any(
        w.value == "--no-log-init" or any(ch == "l" for ch, _ in short_options(w.value, _USERADD_VALUES))
        for w in cmd.args
    )


@rule("DL3046")
def useradd_high_uid(ctx: Context) -> Iterator[Violation]:
    for instr, cmd in run_commands(ctx):
        if cmd.name != "useradd" or useradd_no_log_init(cmd):
            continue
        uid = useradd_uid(cmd)
        if uid is not None and uid.isdigit() and len(uid) > 5:
            yield ctx.violation(
                "DL3046",
                f"`useradd` with UID {uid} and without `-l` writes a sparse lastlog/faillog sized by the UID "
                "into the layer (gigabytes once exported); add `--no-log-init`",
                instr,
                cmd.start_offset,
                cmd.end_offset,
            )


# wget options that take a value as the next word (or the rest of a short cluster).
_WGET_VALUES = "OoaPtTwWeUiBDlARIXQ"


def wget_is_quiet(cmd: Command) -> bool:
    """`-q`, `-nv`, `--progress=...` or a log file (`-o`/`-a`): the log stays readable."""
    for w in cmd.args:
        arg = w.value
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            if name in ("--quiet", "--no-verbose", "--progress", "--output-file", "--append-output"):
                return True
        elif arg.startswith("-n"):
            if arg == "-nv":
                return True
        elif any(ch in "qoa" for ch, _ in short_options(arg, _WGET_VALUES)):
            return True
    return False


@rule("DL3047")
def wget_progress(ctx: Context) -> Iterator[Violation]:
    return each_command(
        ctx,
        "DL3047",
        lambda cmd: cmd.name == "wget" and not wget_is_quiet(cmd),
        "`wget` without `-q`, `-nv` or `--progress=dot:giga` prints a progress bar line per chunk into the build log",
    )


@rule("DL4001")
def wget_and_curl(ctx: Context) -> Iterator[Violation]:
    seen: dict[int, set[str]] = {}  # stage -> downloaders used so far; triggers count with their stage
    for instr in ctx.runs():
        if (script := ctx.script(instr)) is None:
            continue
        used = [c for c in script.commands if c.name in DOWNLOADERS]
        stage_seen = seen.setdefault(instr.stage, set())
        stage_seen.update(c.name for c in used)
        if used and len(stage_seen) == len(DOWNLOADERS):
            yield ctx.violation(
                "DL4001",
                "this stage downloads with both `curl` and `wget`: pick one, so the image needs one tool "
                "and one set of TLS and proxy settings",
                instr,
                used[0].start_offset,
                used[0].end_offset,
            )


@rule("DL4005")
def ln_bin_sh(ctx: Context) -> Iterator[Violation]:
    return each_command(
        ctx,
        "DL4005",
        lambda cmd: cmd.name == "ln" and any(w.value == "/bin/sh" for w in cmd.args),
        "replacing /bin/sh with a link changes the shell for every later program in the image; "
        'use `SHELL ["/bin/bash", "-c"]` to change the shell RUN uses',
    )

