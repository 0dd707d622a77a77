"""apt rules about installing: pinned versions, answered prompts, no recommends, the scripting front end."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_rules import (
    command_head,
    has_option,
    installs,
    missing_switch,
    unanswered_prompt,
    unpinned,
)
from dlint.lint.context import Context
from dlint.lint.edits import redirected
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.parsing.packages import PackageCommand

APT = ("apt-get", "apt")
# Subcommands that ask "Do you want to continue?" and abort without a terminal.
PROMPTING = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove",
                       "reinstall", "build-dep", "satisfy"})  # fmt: skip


def pinned(package: str) -> bool:
    """`pkg=1.2`, `pkg=1.2*`, a release (`pkg/bookworm-backports`) or a local `.deb` file."""
    return "=" in package or "/" in package or package.endswith(".deb")


@rule("DL3008")
def apt_unpinned(ctx: Context) -> Iterator[Violation]:
    yield from unpinned(
        ctx, "DL3008", installs(ctx, APT, {"install"}), pinned, "write `package=<version>` so a rebuild installs "
        "what was tested",
    )


def _config(pc: PackageCommand, key: str) -> str | None:
    """The value of an `-o Key=value` apt configuration option, if given."""
    for opt in pc.options:
        if opt.name in ("-o", "--option") and opt.value is not None:
            name, _, value = opt.value.value.partition("=")
            if name.lower() == key.lower():
                return value.strip().lower()
    return None


def answers_yes(pc: PackageCommand) -> bool:
    """`-y`, `--yes`, `--assume-yes`, `-qq` (quiet level 2 implies yes) or `-o APT::Get::Assume-Yes=true`."""
    if has_option(pc, "-y", "--yes", "--assume-yes", "--force-yes"):
        return True
    quiet = sum(1 for o in pc.options if o.name == "-q")
    if quiet >= 2 or any(o.name in ("-q", "--quiet") and o.value and o.value.value == "2" for o in pc.options):
        return True
    return _config(pc, "APT::Get::Assume-Yes") in ("1", "true", "yes")


@rule("DL3014")
def apt_without_yes(ctx: Context) -> Iterator[Violation]:
    # apt reads options in order: a later `-o APT::Get::Assume-Yes=false` would undo a `-y` written right after
    # the subcommand; `--assume-no` is an answer already given (a `-y` would turn it into a yes).
    yield from unanswered_prompt(ctx, "DL3014", installs(ctx, APT, PROMPTING), answers_yes,
                                 takes_yes=lambda pc: _config(pc, "APT::Get::Assume-Yes") is None
                                 and not has_option(pc, "--assume-no"))


def skips_recommends(pc: PackageCommand) -> bool:
    if has_option(pc, "--no-install-recommends"):
        return True
    return _config(pc, "APT::Install-Recommends") in ("0", "false", "no")


@rule("DL3015")
def apt_install_recommends(ctx: Context) -> Iterator[Violation]:
    yield from missing_switch(
        ctx,
        "DL3015",
        installs(ctx, APT, {"install"}),
        skips_recommends,
        lambda pc: f"`{pc.manager} install` also installs every recommended package; add "
        "`--no-install-recommends` and list what you need",
        "--no-install-recommends",
        safe=False,  # fewer packages end up in the image: the build may miss one it relied on
        # apt reads options in order: a later `--install-recommends` or `-o APT::Install-Recommends=...` would undo
        # one written right after the subcommand.
        takes_option=lambda pc: not has_option(pc, "--install-recommends")
        and _config(pc, "APT::Install-Recommends") is None,
    )


# `apt X` -> the scripting tool with the same behaviour; `list` and `edit-sources` have none.
APT_GET = frozenset({"install", "update", "upgrade", "dist-upgrade", "remove", "purge", "autoremove",
                     "autoclean", "clean", "reinstall", "build-dep", "source", "download", "satisfy",
                     "changelog", "check"})  # fmt: skip
APT_CACHE = frozenset({"search", "show", "showsrc", "policy", "depends", "rdepends"})
# Where `apt X` and `apt-get X` differ in what they leave in the image (`apt-config dump`, Binary::apt):
# `apt` deletes the packages it downloaded (Keep-Downloaded-Packages "0"), `apt-get` keeps them in
# /var/cache/apt/archives; `apt upgrade` installs new dependencies too (Upgrade-Allow-New); and `apt`
# reads a name only as a name or a `~`/`?` pattern (Pattern-Only), `apt-get` one that names no package as a
# glob or, holding any of apt's regex characters `.?+*|[^$` (cacheset.cc), as a regex (`python3.1`: python3.11).
DOWNLOADS = frozenset({"install", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "satisfy"})
_PATTERN = frozenset(".?+*|[]^$")


def _front_end(pc: PackageCommand) -> tuple[str, str] | None:
    """The replacement (program, subcommand) for an `apt` command, when one exists."""
    sub = pc.subcommand or ""
    if sub in APT_GET:
        return "apt-get", sub
    if sub == "full-upgrade":
        return "apt-get", "dist-upgrade"
    if sub in APT_CACHE:
        return "apt-cache", sub
    return None


def _same_result(pc: PackageCommand) -> bool:
    """`apt-get` leaves the image as `apt` would: it downloads nothing, and every name is plainly one."""
    return pc.subcommand not in DOWNLOADS and all(w.literal and not _PATTERN & set(w.value) for w in pc.packages)


@rule("DL3027")
def apt_instead_of_apt_get(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.runs():
        for pc in ctx.package_commands(instr):
            if pc.manager != "apt":
                continue
            program = pc.command.words[0]
            target = _front_end(pc)
            fix = None
            text = ctx.dockerfile.text
            # The words as the file spells them (in an `sh -c '...'` string, `ap''t` reads as `apt` but is not it).
            # `apt show` prints the candidate only, `apt-cache show` every version: where its output is read
            # (`$(apt show x | sed ...)`, `> file`), the rewrite would change what the build does.
            script = ctx.script(instr)
            read = target is not None and target[0] == "apt-cache" and (
                script is None or pc.command.in_pipeline or pc.command.place.nested
                or redirected(ctx.dockerfile, instr, script, pc.command))
            if target and not read and not instr.is_exec_form and pc.subcommand_word is not None \
                    and text[program.start_offset : program.end_offset] == program.value \
                    and text[pc.subcommand_word.start_offset : pc.subcommand_word.end_offset] == pc.subcommand_word.value:
                edits = [Edit(program.end_offset - len("apt"), program.end_offset, target[0])]  # keeps a /usr/bin/
                if target[1] != pc.subcommand:
                    edits.append(Edit(pc.subcommand_word.start_offset, pc.subcommand_word.end_offset, target[1]))
                fix = Fix(tuple(edits), safe=_same_result(pc))
            hint = f"use `{target[0]} {target[1]}`" if target else "use `apt-get` or `apt-cache`"
            yield ctx.violation(
                "DL3027",
                f"`apt` is meant for people at a terminal and warns that its interface may change; {hint} "
                "in scripts",
                instr,
                *command_head(pc),
                fix,
            )
