"""yum, dnf, microdnf and zypper: pinned packages, answered prompts, caches cleaned in the same RUN."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from dlint.lint.checks.package_rules import (
    has_option,
    installs,
    missing_cleanup,
    opaque,
    option_values,
    unanswered_prompt,
    unpinned,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.parsing.packages import PackageCommand

DNF = frozenset({"dnf", "microdnf"})
YUM = frozenset({"yum"})
# yum on EL8+ is dnf, and microdnf keeps its cache under yum's directory.
RPM_CACHES = ("/var/cache/yum", "/var/cache/dnf")
ZYPPER_CACHES = ("/var/cache/zypp",)

# Subcommands that ask "Is this ok [y/N]" and fail without a terminal.
RPM_PROMPTING = frozenset({"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade",
                           "update-minimal", "upgrade-minimal", "remove", "erase", "autoremove", "downgrade",
                           "distro-sync", "distrosync", "swap", "groupupdate", "groupremove", "builddep"})  # fmt: skip
GROUPED = frozenset({"group", "module"})  # `dnf group install`, `dnf module enable`: the action comes next
QUIET_ACTIONS = frozenset({"list", "info", "summary", "provides", "repoquery"})


def prompts(pc: PackageCommand) -> bool:
    if pc.subcommand in RPM_PROMPTING:
        return True
    return pc.subcommand in GROUPED and bool(pc.packages) and pc.packages[0].value not in QUIET_ACTIONS


def rpm_pinned(package: str) -> bool:
    """`name-version[-release][.arch]`: the last dash-separated part starts with a digit (or a variable).

    `python3-devel` and `java-11-openjdk` are names, not pins. A comparison
    (`'name >= 1.2'`), a `.rpm` file or URL, and `@group` names (which have no
    version) also pass.
    """
    if package.endswith(".rpm") or package.startswith("@") or any(m in package for m in "<>="):
        return True
    name, dash, last = package.rpartition("-")
    if not (dash and name):
        return False
    return last[:1].isdigit() or last.startswith("$")


def rpm_unpinned(ctx: Context, code: str, managers: frozenset[str]) -> Iterator[Violation]:
    """Packages of `install` without a version; modules of `module install` without a stream."""
    advice = "write `name-<version>` so a rebuild installs what was tested"
    yield from unpinned(ctx, code, installs(ctx, managers, {"install"}), rpm_pinned, advice)
    modules = (
        (instr, pc)
        for instr, pc in installs(ctx, managers, {"module"})
        if pc.packages and pc.packages[0].value == "install"
    )
    for instr, pc in modules:
        streams = [w for w in pc.packages[1:] if ":" not in w.value and not opaque(w)]
        if streams:
            yield ctx.violation(
                code,
                f"module `{streams[0].value}` has no stream: write `{streams[0].value}:<stream>`",
                instr,
                streams[0].start_offset,
                streams[0].end_offset,
            )


def assumes_yes(pc: PackageCommand) -> bool:
    return has_option(pc, "-y", "--assumeyes")


def rpm_prompt(ctx: Context, code: str, managers: frozenset[str]) -> Iterator[Violation]:
    commands = ((instr, pc) for instr, pc in installs(ctx, managers, RPM_PROMPTING | GROUPED) if prompts(pc))
    yield from unanswered_prompt(ctx, code, commands, assumes_yes, takes_yes=lambda pc: not _answers_itself(pc))


def _answers_itself(pc: PackageCommand) -> bool:
    """`--assumeno` (which yum and dnf heed before `-y`) or a `--setopt=assumeyes=...` (applied after the
    options, so over a `-y`): an inserted `-y` would change nothing but the finding."""
    return has_option(pc, "--assumeno") or any(
        v.replace(" ", "").lower().startswith("assumeyes=") for v in option_values(pc, "--setopt"))


def cleans_all(pc: PackageCommand) -> bool:
    """`yum clean all`, `dnf clean all`, `microdnf clean all`: metadata and packages both go."""
    return pc.manager in YUM | DNF and pc.subcommand == "clean" and any(w.value == "all" for w in pc.packages)


def downloads(pc: PackageCommand) -> bool:
    """`install`, `groupinstall` and `group install` all fill the cache; group names are not package pins."""
    if pc.subcommand in ("install", "groupinstall"):
        return True
    return pc.subcommand == "group" and bool(pc.packages) and pc.packages[0].value == "install"


def rpm_cleanup(ctx: Context, code: str, managers: frozenset[str]) -> Iterator[Violation]:
    yield from missing_cleanup(
        ctx,
        code,
        lambda pc: pc.manager in managers and downloads(pc),
        cleans_all,
        RPM_CACHES,
        lambda pc: f"`{pc.manager} install` leaves repository metadata and packages in this layer; end the RUN "
        f"with `{pc.manager} clean all`",
    )


# yum and dnf share every rule and differ only in the codes hadolint gave them.
for _code, _check, _managers in (
    ("DL3030", rpm_prompt, YUM),
    ("DL3032", rpm_cleanup, YUM),
    ("DL3033", rpm_unpinned, YUM),
    ("DL3038", rpm_prompt, DNF),
    ("DL3040", rpm_cleanup, DNF),
    ("DL3041", rpm_unpinned, DNF),
):
    rule(_code)(partial(_check, code=_code, managers=_managers))


# --- zypper ----------------------------------------------------------------------

ZYPPER_PROMPTING = frozenset({"install", "remove", "update", "patch", "dist-upgrade", "source-install", "si",
                              "install-new-recommends", "inr"})  # fmt: skip
# zypper's `-y` is an option of some subcommands only: `zypper si -y` and `zypper inr -y` fail (unknown
# option; only the global `zypper -n` answers them), so those get the finding without a fix.
_ZYPPER_NO_YES = frozenset({"source-install", "si", "install-new-recommends", "inr"})


@rule("DL3034")
def zypper_without_non_interactive(ctx: Context) -> Iterator[Violation]:
    yield from unanswered_prompt(
        ctx,
        "DL3034",
        installs(ctx, {"zypper"}, ZYPPER_PROMPTING),
        lambda pc: has_option(pc, "-n", "--non-interactive", "-y", "--no-confirm"),
        " (or `zypper -n`)",
        takes_yes=lambda pc: pc.subcommand not in _ZYPPER_NO_YES,
    )


@rule("DL3035")
def zypper_dist_upgrade(ctx: Context) -> Iterator[Violation]:
    for instr, pc in installs(ctx, {"zypper"}, {"dist-upgrade"}):
        yield ctx.violation(
            "DL3035",
            "`zypper dist-upgrade` moves the image to whatever the repositories hold today, a different "
            "distribution release included; pick the release with the base image tag instead",
            instr,
            pc.command.start_offset,
            pc.command.end_offset,
        )


@rule("DL3036")
def zypper_cache_not_cleaned(ctx: Context) -> Iterator[Violation]:
    yield from missing_cleanup(
        ctx,
        "DL3036",
        lambda pc: pc.manager == "zypper" and pc.subcommand == "install",
        lambda pc: pc.manager == "zypper" and pc.subcommand in ("clean", "cc"),
        ZYPPER_CACHES,
        lambda pc: "`zypper install` leaves repository metadata and packages in this layer; end the RUN with "
        "`zypper clean --all`",
    )


def zypper_pinned(package: str) -> bool:
    """`name=1.2`, `'name>=1.2'` or a `.rpm` file."""
    return any(m in package for m in "=<>") or package.endswith(".rpm")


@rule("DL3037")
def zypper_unpinned(ctx: Context) -> Iterator[Violation]:
    yield from unpinned(
        ctx, "DL3037", installs(ctx, {"zypper"}, {"install"}), zypper_pinned,
        "write `name=<version>` so a rebuild installs what was tested",
    )  # fmt: skip
