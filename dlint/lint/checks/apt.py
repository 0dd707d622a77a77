"""apt rules: package lists fetched in one layer and used or left behind in another."""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Iterator
from typing import NamedTuple

from dlint.lint.checks.package_rules import cache_mounts, mount_target, removes, ships, under
from dlint.lint.context import Context
from dlint.lint.edits import (
    append_command,
    command_text,
    delete_instruction,
    prefix_command,
    redirected,
    remove_command,
)
from dlint.lint.finding import Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction, Stage
from dlint.parsing.packages import PackageCommand
from dlint.parsing.shell import Command, Script, as_other_user

APT = frozenset({"apt-get", "apt", "aptitude"})
USES_LISTS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall", "source"})
LISTS = "/var/lib/apt/lists"
DISTCLEAN = frozenset({"distclean", "dist-clean"})
LIST_TARGETS = frozenset({LISTS, LISTS + "/", LISTS + "/*"})  # what a removal that can move is written as


def apt_updates(ctx: Context, instr: Instruction) -> list[PackageCommand]:
    return [p for p in ctx.package_commands(instr) if p.manager in APT and p.subcommand == "update"]


@rule("DLT001")
def apt_update_alone(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.runs():
        pkgs = ctx.package_commands(instr)
        for i, pc in enumerate(pkgs):
            if pc.manager not in APT or pc.subcommand != "update":
                continue
            if any(p.manager in APT and p.subcommand in USES_LISTS for p in pkgs[i + 1:]) or _may_read_after(
                ctx, instr, pc
            ):
                continue
            yield ctx.violation(
                "DLT001",
                f"`{pc.manager} update` runs in a RUN that installs nothing after it: its lists are cached "
                "in their own layer and go stale; update and install in the same RUN",
                instr,
                pc.command.start_offset,
                pc.command.end_offset,
                move_update(ctx, instr, pc),
            )


# Commands known not to read the package lists; anything else after an update may (xargs, eval, a script).
LIST_BLIND = frozenset({"set", "rm", "true", ":", "echo", "printf", "mkdir", "ln", "chmod", "chown", "touch", "cd",
                        "export", "apt-get", "apt", "find"})


def _may_read_after(ctx: Context, instr: Instruction, update: PackageCommand) -> bool:
    """A command after the update dlint cannot see into, or one run through a wrapper, may read the lists."""
    script = ctx.script(instr)
    if script is None:
        return True
    pkgs = {id(p.command): p for p in ctx.package_commands(instr)}
    return any(
        c.start_offset > update.command.start_offset
        and (c.wrappers or c.name not in LIST_BLIND
             or (c.name in APT and (id(c) not in pkgs or pkgs[id(c)].subcommand not in ("update", "clean"))))
        for c in script.commands
    )


def move_update(ctx: Context, instr: Instruction, update: PackageCommand) -> Fix | None:
    """Put the update in front of the first install of the next installing RUN of the stage,
    and delete it here: the whole RUN when it does nothing else.

    Unsafe when other RUNs sit between the two: one of them may read the lists
    through a script dlint cannot see; and when the install mounts a cache over
    the lists: the update then fills the cache, not the layer later RUNs read.
    None when no later RUN installs, when the
    two RUNs' flags differ beyond mounts that cannot change what the update
    fetches, when an instruction between them changes how a RUN runs (USER, ENV,
    ARG, COPY, ...), when the update or the first install is not a plain
    top-level command (in a branch, loop or function, or with redirections),
    when the update's RUN is exec form, when the edits would be unsure, or for
    an ONBUILD trigger: the RUNs after it run in another build. Unsafe too when
    a pragma on the update's RUN silences other rules (_silenced_here); a RUN
    deleted takes its pragmas along (delete_instruction).
    """
    df = ctx.dockerfile
    stage, script = df.stage_of(instr), ctx.script(instr)
    if stage is None or script is None or ctx.is_trigger(instr) or instr.is_exec_form:
        return None
    target = ctx.next_run(stage, instr, _uses_lists)
    use = next((p for p in ctx.package_commands(target) if p.manager in APT and p.subcommand in USES_LISTS),
               None) if target else None  # fmt: skip
    if target is None or use is None or not _same_conditions(df, instr, target):
        return None
    if not (_plain(update.command) and _plain(use.command)) or redirected(df, instr, script, update.command):
        return None
    target_script = ctx.script(target)
    if target_script is None:
        return None
    if any(b.offset < update.command.start_offset for b in script.bindings) or any(
        c.name in _SHELL_STATE for c in script.commands if c.start_offset < update.command.start_offset
    ):
        return None  # `export http_proxy=... && apt-get update`: the update would lose its environment
    if any(c.start_offset > update.command.start_offset and c.name != "set" for c in script.commands):
        return None  # what follows the update in its RUN would then run before it (`&& rm apt.conf.d/99x`)
    if all(c is update.command or c.name == "set" for c in script.commands):
        edits = list(delete_instruction(df, instr))
    else:
        removal = remove_command(df, instr, script, update.command)
        if removal is None:
            return None
        edits = [removal]
    if not any(
        p.manager in APT and p.subcommand == "update" and _refreshes(p.command)
        and p.command.start_offset < use.command.start_offset
        for p in ctx.package_commands(target)
    ):
        # What ran before the install would now run before the update (a sources.list written), and a
        # failed update must still fail the RUN.
        if not _first(target_script, use.command) or not _fails_with(target_script, use.command):
            return None
        prefix = prefix_command(df, target, target_script, use.command, command_text(df, update.command))
        if prefix is None:
            return None
        edits.append(prefix)
    between = ctx.next_run(stage, instr, _any_run) is not target
    # A cache the install mounts over the lists takes what the update fetches out of the layer, where a
    # later RUN, or a stage FROM this one, may install from the lists without updating.
    hidden = under(LISTS, cache_mounts(target)) and not under(LISTS, cache_mounts(instr))
    return Fix(tuple(edits), safe=not between and not hidden and not _silenced_here(ctx, instr))


def _silenced_here(ctx: Context, instr: Instruction) -> bool:
    """An `ignore=` pragma on the update's RUN names another rule: the silence may be meant for the update, and
    cannot follow it into the install's RUN (carried there, it would silence that RUN's own findings)."""
    return any(code != "DLT001" for code in ctx.pragmas.by_instruction.get(instr.index, {}))


# Instructions that may sit between the two RUNs: none of them changes how a RUN runs.
_INERT = frozenset({"RUN", "LABEL", "EXPOSE", "MAINTAINER", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL",
                    "ONBUILD"})


# Where an install RUN may mount a cache the update's RUN lacks: caches only, which the update does not read
# from (a mount on /etc/apt or /usr/share/keyrings, a secret's file or its `env=`, would change what it fetches).
_CACHE_DIRS = ("/var/cache", "/var/lib/apt", "/root/.cache", "/tmp")


def _same_conditions(df: Dockerfile, update_run: Instruction, target: Instruction) -> bool:
    """The update runs in `target` as it ran in its own RUN: same user, environment, files and network.
    The one flag the install's RUN may add is a cache mount under _CACHE_DIRS."""
    if any(i.keyword not in _INERT for i in df.instructions[update_run.index + 1 : target.index]):
        return False
    own = {(f.name, f.value) for f in update_run.flags}
    for f in target.flags:
        if (f.name, f.value) in own:
            continue
        opts = f.options() if f.name == "mount" else {}
        where = mount_target(opts)
        if opts.get("type") != "cache" or not where or not under(where, _CACHE_DIRS) or "env" in opts:
            return False
    return own <= {(f.name, f.value) for f in target.flags}


# Commands whose effect lasts for the rest of their shell only, not into the next RUN (files written do).
_SHELL_STATE = frozenset({"cd", "pushd", "popd", "umask", "ulimit", "source", ".", "export", "alias", "shopt",
                          "trap", "eval", "unset", "exec", "declare", "typeset", "readonly", "local"})


def _first(script: Script, cmd: Command) -> bool:
    """`cmd` is the first command its script runs, `set` aside."""
    return next((c for c in script.commands if c.name != "set"), None) is cmd


def _fails_with(script: Script, cmd: Command) -> bool:
    """A failure of a command put before `cmd` with `&&` would still fail the RUN: `cmd` starts the `&&` list
    that ends the script. `set -e` does not do it: the shell ignores a failure before a list's last `&&`."""
    return all(c.place.statement == cmd.place.statement and c.place.ands for c in script.commands if c is not cmd
               and c.start_offset > cmd.start_offset and c.place.scope == 0)


def _plain(cmd: Command) -> bool:
    """A command the RUN's own script runs once, unconditionally: not in a branch, loop, function or sh -c."""
    return cmd.place.scope == 0 and not cmd.place.nested and cmd.place.knowable and not cmd.wrappers


def _uses_lists(ctx: Context, instr: Instruction) -> bool:
    return any(p.manager in APT and p.subcommand in USES_LISTS for p in ctx.package_commands(instr))


def _any_run(ctx: Context, instr: Instruction) -> bool:
    return True


def _removes_lists(ctx: Context, instr: Instruction) -> bool:
    return bool(list_removals(ctx, instr))


def list_removals(ctx: Context, instr: Instruction) -> list[Command]:
    """The commands of a RUN that delete the package lists: `rm -r` or `find -delete` of them, or
    `apt-get distclean` (apt 2.7 and later), which removes them all but the signed Release files."""
    script = ctx.script(instr)
    if script is None:
        return []
    dist_cleans = {id(p.command) for p in ctx.package_commands(instr)
                   if p.manager in ("apt-get", "apt") and p.subcommand in DISTCLEAN}  # fmt: skip
    return [c for c in script.commands if id(c) in dist_cleans or removes(c, (LISTS,))]


@rule("DL3009")
def apt_lists_not_removed(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in ctx.runs():
        updates = apt_updates(ctx, instr)  # first: most RUNs have none
        stage = df.stage_of(instr)
        if not updates or stage is None or not ships(ctx, instr) or under(LISTS, cache_mounts(instr)):
            continue
        last_update = updates[-1].command.start_offset
        if any(c.start_offset > last_update for c in list_removals(ctx, instr)):
            continue
        # a trigger's later RUNs are another build's
        later = None if ctx.is_trigger(instr) else ctx.next_run(stage, instr, _removes_lists)
        message = f"`{updates[-1].manager} update` leaves {LISTS} in this layer; remove it in the same RUN"
        if later is not None:
            message += f" (the removal at line {later.start_line} runs in a later layer, so the bytes stay here)"
        yield ctx.violation(
            "DL3009",
            message,
            instr,
            updates[-1].command.start_offset,
            updates[-1].command.end_offset,
            remove_lists(ctx, instr, stage, later),
        )


def remove_lists(ctx: Context, instr: Instruction, stage: Stage, later: Instruction | None) -> Fix | None:
    """Append the removal to the RUN that updates; a removal in the later RUN `later` moves here.

    None when an update runs behind `sudo`, `doas`, `gosu`, ... (as_other_user: the RUN's user is not root, and a
    plain `rm` of the lists would fail), when an update may write the lists
    elsewhere (`-o Dir...`, `-c`, APT_CONFIG: the `rm` would miss them), when
    nothing in this RUN uses the lists after its update (then the update itself
    is the problem: DLT001), or when a later RUN (of this stage or one built
    FROM it) still reads them: removing them here would make its install fail.
    A removal left in a later RUN must be one that cannot fail once the lists
    are gone (`rm -f`).
    """
    df = ctx.dockerfile
    script = ctx.script(instr)
    updates = apt_updates(ctx, instr)
    if any(as_other_user(u.command) for u in updates):
        return None  # the RUN's user is not root: a plain `rm` of root's lists would fail the build
    if any(_lists_elsewhere(u.command) for u in updates) or "APT_CONFIG" in ctx.variable_text:
        return None  # the rm would take other RUNs' lists and leave these
    update = updates[-1].command.start_offset
    if script is None or not any(
        p.manager in APT and p.subcommand in USES_LISTS and p.command.start_offset > update
        for p in ctx.package_commands(instr)
    ):
        return None
    seen = None if ctx.is_trigger(instr) else _seen_by(ctx, stage)
    at = bisect.bisect_right(seen.indexes, instr.index) if seen else 0
    if seen and seen.reads_from[at]:
        return None
    append = append_command(df, instr, script, f"rm -rf {LISTS}/*", ctx.shell_in_force(instr))
    if append is None:
        return None
    edits = [append]
    if later is not None and seen:
        s = ctx.script(later)  # it removes the lists: it has one
        assert s is not None
        removals = list_removals(ctx, later)
        # A RUN between the two that updates again: the later removal removes its lists too, and stays.
        updating = ctx.per_file(_updating_runs)
        if updating[bisect.bisect_right(updating, instr.index)] < later.index:
            if not all(_cannot_fail(c) for c in removals):
                return None
        elif all((c in removals and _only_lists(c)) or c.name == "set" for c in s.commands):
            edits.extend(delete_instruction(df, later))
        else:
            for c in removals:
                moved = remove_command(df, later, s, c) if _only_lists(c) else None
                if moved is not None:
                    edits.append(moved)
                elif not _cannot_fail(c):
                    return None
    if seen:  # a removal left in another later RUN would fail once the lists are gone
        risky = seen.risky_from[at]
        if risky is not None and later is not None and seen.runs[risky][0] is later:
            risky = seen.risky_from[risky + 1]
        if risky is not None:
            return None
    return Fix(tuple(edits))


def _updating_runs(ctx: Context) -> list[int]:
    """The indexes of the RUNs that update, and one past the last instruction: found once per file."""
    return [r.index for r in ctx.runs() if apt_updates(ctx, r)] + [len(ctx.dockerfile.instructions)]


class _Seen(NamedTuple):
    """The RUNs that see a stage's layers (its own and those of every stage built FROM it), in file
    order, with what remove_lists asks of those after a given RUN precomputed from each one on:
    asked RUN by RUN, the question was a walk over the rest of the file each time (4,000 updating
    RUNs took over a minute)."""

    runs: list[tuple[Instruction, Script | None]]  # ONBUILD RUN triggers last: they run after this whole build
    indexes: list[int]  # of each RUN, for bisect
    reads_from: list[bool]  # reads_from[i]: one of runs[i:] installs before updating (needs the lists)
    risky_from: list[int | None]  # position of the first of runs[i:] with a removal that can fail


def _seen_by(ctx: Context, stage: Stage) -> _Seen:
    key = ("DL3009 seen by", stage.index)
    found = ctx.memo.get(key)
    if found is None:
        runs = [(r, ctx.script(r)) for r in _later_runs(ctx.dockerfile, stage)]
        reads_from: list[bool] = [False] * (len(runs) + 1)
        risky_from: list[int | None] = [None] * (len(runs) + 1)
        for i in range(len(runs) - 1, -1, -1):
            r, s = runs[i]
            reads_from[i] = reads_from[i + 1] or _reads_lists(ctx, r, s)
            risky = s is not None and not all(_cannot_fail(c) for c in list_removals(ctx, r))
            risky_from[i] = i if risky else risky_from[i + 1]
        last = len(ctx.dockerfile.instructions)
        indexes = [r.index if not ctx.is_trigger(r) else last + i for i, (r, _) in enumerate(runs)]
        found = ctx.memo[key] = _Seen(runs, indexes, reads_from, risky_from)
    return found


def _later_runs(df: Dockerfile, stage: Stage) -> list[Instruction]:
    """The RUNs of `stage` and of every stage built FROM it: those after a RUN see its layer; then their
    ONBUILD RUN triggers, which run in the builds FROM the image, after all of it."""
    descendants = {stage.index}
    for s in df.stages:
        if s.parent in descendants:
            descendants.add(s.index)
    mine = [i for i in df.instructions if i.stage in descendants]
    return [r for r in mine if r.keyword == "RUN"] + [
        i.trigger for i in mine if i.trigger is not None and i.trigger.keyword == "RUN"]


# apt subcommands that do not read the package lists; any other (install, satisfy, download, ...) may.
_LISTLESS = frozenset({"update", "clean", "autoclean", "distclean", "dist-clean", "remove", "purge", "autoremove",
                       "autopurge"})
# with the front ends that read the same lists (nala, apt-fast, wajig)
_APT_PROGRAMS = APT | {"apt-cache", "apt-file", "nala", "apt-fast", "wajig"}
_APT_WORD = re.compile(r"(?:^|[\s/;&|(`'\"])(?:apt-get|apt|aptitude|apt-cache|apt-file|nala|apt-fast|wajig)"
                       r"(?:$|[\s;&|)`'\"])")
# Programs that run a script, a command line or a package tool dlint does not read: what they run may install.
_OPAQUE = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", ".", "source", "eval", "xargs", "make", "su", "runuser",
                     "chroot", "python", "python3", "perl", "ruby", "node", "php", "ansible", "ansible-playbook",
                     "rosdep", "gdebi", "equivs-build", "mk-build-deps", "debootstrap"})
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".pl", ".rb")
_PARTIAL_UPDATE = ("-o", "--option", "-c", "--config-file")  # an update of some sources only


def _reads_lists(ctx: Context, instr: Instruction, script: Script | None) -> bool:
    """May read the lists before any update of its own: an apt command that needs them, a command handed
    an apt program (`xargs apt-get install`), or a script dlint cannot see into (`./setup.sh`, `make`)."""
    if script is None:  # a RUN dlint could not parse: nothing is known of it
        return True
    pkgs = {id(p.command): p for p in ctx.package_commands(instr)}
    for cmd in script.commands:
        pc = pkgs.get(id(cmd))
        if pc is not None and pc.manager in APT:
            if pc.subcommand == "update" and _refreshes(cmd):
                return False
            if pc.subcommand not in _LISTLESS:
                return True
            continue
        program = cmd.words[0] if cmd.words else None
        if cmd.name in _APT_PROGRAMS or cmd.name in _OPAQUE or cmd.name.endswith(_SCRIPT_SUFFIXES) \
                or _copied(ctx, instr, cmd.name) \
                or (program is not None and ("/" in program.value or "$" in program.value or not program.literal)):
            return True  # a path, or a name from a variable (`$INSTALL b`): nothing says what it runs
        if any(_APT_WORD.search(w.value) for w in cmd.args):  # `su -c "apt-get install b"`, `timeout 9 apt ...`
            return True
    return False


# Directories on every image's PATH: a directory copied into one brings programs by names the file never spells.
_PATH_DIRS = frozenset({"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"})


class _Copied(NamedTuple):
    """What COPY and ADD bring in that a later RUN may run by name: a script dlint cannot see into."""

    names: frozenset[str]  # `COPY install-deps /usr/local/bin/`, `COPY <<install-deps /usr/local/bin/`
    globs: tuple[str, ...]  # `COPY docker-php-ext-* /usr/local/bin/`: the names that match
    anything_after: int | None  # the first copy of a directory's contents onto PATH (`COPY scripts/ /usr/local/bin/`,
    # `COPY --from=xx / /`): any name run after it may be one of them


def _copied_names(ctx: Context) -> _Copied:
    names: set[str] = set()
    globs: list[str] = []
    anything_after = None
    for instr in ctx.dockerfile.instructions:
        if instr.keyword not in ("COPY", "ADD"):
            continue
        *sources, dest = instr.values or ("",)
        for source in sources:
            base = source.rstrip("/").rsplit("/", 1)[-1]
            if not _onto_path(dest):
                names.add(base)
            elif source.endswith(("/", ".")):
                anything_after = instr.index if anything_after is None else anything_after
            elif any(c in base for c in "*?["):
                globs.append(base)
            else:
                names.add(base)
        names.add(dest.rstrip("/").rsplit("/", 1)[-1])  # `COPY setup /usr/bin/provision`
        names.update(h.name for h in instr.heredocs)  # `COPY <<install-deps /usr/local/bin/`: the file's name
    return _Copied(frozenset(names), tuple(globs), anything_after)


def _onto_path(dest: str) -> bool:
    """A copy to `dest` may put files in a PATH directory: it is one, or above one (`COPY rootfs/ /`)."""
    d = dest.rstrip("/")
    return any(p == d or p.startswith(d + "/") for p in _PATH_DIRS)


def _copied(ctx: Context, instr: Instruction, name: str) -> bool:
    """`name`, run by `instr`, may be a program a COPY or ADD brought in."""
    copied = ctx.per_file(_copied_names)
    return name in copied.names or (copied.anything_after is not None and copied.anything_after < instr.index) \
        or any(fnmatch.fnmatchcase(name, g) for g in copied.globs)


def _refreshes(update: Command) -> bool:
    """An update that certainly runs, before what follows it, for every source: the first of its list at
    the top of the script, with no option that names some sources only."""
    return _plain(update) and update.place.element == 0 and not update.in_condition and not update.assignments \
        and not any(w.value.startswith(_PARTIAL_UPDATE) for w in update.args)  # nor `APT_CONFIG=x.conf apt-get`


def _lists_elsewhere(update: Command) -> bool:
    """An update that may write the lists outside /var/lib/apt/lists: `-o Dir...=` (Dir::State::Lists, a
    whole other root) or another configuration (`-c FILE`, `APT_CONFIG=FILE`)."""
    words = [w.value for w in update.args]
    for i, word in enumerate(words):
        if word.startswith("-c") or word.startswith("--config-file"):
            return True
        if word in ("-o", "--option"):
            option = words[i + 1] if i + 1 < len(words) else ""
        elif word.startswith("--option="):
            option = word[len("--option=") :]
        elif word.startswith("-o"):
            option = word[2:]
        else:
            continue
        if option.lower().startswith("dir"):
            return True
    return any(a.value.startswith("APT_CONFIG=") for a in update.assignments)


def _only_lists(cmd: Command) -> bool:
    return cmd.name == "rm" and all(w.value in LIST_TARGETS for w in cmd.args if not w.value.startswith("-"))


def _cannot_fail(cmd: Command) -> bool:
    """`rm -f` of a missing path succeeds; so do `find DIR -delete` of an empty DIR and `apt-get distclean`."""
    if cmd.name != "rm":
        return True
    flags = [w.value for w in cmd.args if w.value.startswith("-")]
    return any(f == "--force" or (not f.startswith("--") and "f" in f) for f in flags)
