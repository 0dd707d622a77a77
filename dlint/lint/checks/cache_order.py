"""DLT004: a broad COPY before a dependency install makes every source edit reinstall everything.

BuildKit reuses a layer only while every layer before it is unchanged. `COPY . .`
changes with any file of the context, so an install after it never hits the cache;
copying the manifests first keeps the install cached until they change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from dlint.lint.checks.operands import Operand, copy_operands
from dlint.lint.checks.package_rules import option_values
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.packages import PackageCommand
from dlint.parsing.shell import Command

CONTEXT_ROOT = frozenset({".", "./", "*", "./*", "/"})
PYTHON_PROJECT = ("pyproject.toml", "setup.py", "setup.cfg")


class Install(NamedTuple):
    ecosystem: str  # installs of one ecosystem share a cache: "pip", "npm", ...
    manifests: tuple[str, ...]  # what to copy before it
    command: Command


def package_install(pc: PackageCommand) -> Install | None:
    sub, packages = pc.subcommand, pc.packages
    if pc.manager == "pip" and sub == "install":
        files = tuple(option_values(pc, "-r", "--requirement"))
        if files:
            return Install("pip", files, pc.command)
        if any(w.value in (".", "./") or w.value.startswith("./") for w in packages):
            return Install("pip", PYTHON_PROJECT, pc.command)
        return None
    lock = {"npm": "package-lock.json", "yarn": "yarn.lock", "pnpm": "pnpm-lock.yaml"}
    if pc.manager in lock and (sub in ("ci", "install") or (pc.manager == "yarn" and sub is None)) and not packages:
        return Install(pc.manager, ("package.json", lock[pc.manager]), pc.command)
    if pc.manager == "bundle" and sub == "install":
        return Install("bundle", ("Gemfile", "Gemfile.lock"), pc.command)
    if pc.manager == "go" and sub == "mod" and packages and packages[0].value == "download":
        return Install("go", ("go.mod", "go.sum"), pc.command)
    if pc.manager == "cargo" and sub in ("fetch", "build"):
        return Install("cargo", ("Cargo.toml", "Cargo.lock"), pc.command)
    if pc.manager == "composer" and sub == "install":
        return Install("composer", ("composer.json", "composer.lock"), pc.command)
    return None


# Installers packages.py does not model: program -> (subcommands, ecosystem, manifests).
OTHER_INSTALLERS = {
    "poetry": (("install", "sync"), "poetry", ("pyproject.toml", "poetry.lock")),
    "pipenv": (("install", "sync"), "pipenv", ("Pipfile", "Pipfile.lock")),
    "uv": (("sync",), "uv", ("pyproject.toml", "uv.lock")),
    "mvn": (("dependency:go-offline", "dependency:resolve"), "maven", ("pom.xml",)),
}


def other_install(cmd: Command) -> Install | None:
    known = OTHER_INSTALLERS.get(cmd.name)
    if known is None:
        return None
    subcommands, ecosystem, manifests = known
    if any(w.value in subcommands for w in cmd.args):
        return Install(ecosystem, manifests, cmd)
    return None


def installs(ctx: Context, instr: Instruction) -> list[Install]:
    found = [i for pc in ctx.package_commands(instr) if (i := package_install(pc))]
    script = ctx.script(instr)
    if script is not None:
        found += [i for cmd in script.commands if (i := other_install(cmd))]
    return found


def broad_source(instr: Instruction, escape: str) -> Operand | None:
    """The context root, or a whole directory, copied from the build context."""
    if instr.keyword not in ("COPY", "ADD") or instr.flag("from") is not None:
        return None
    sources, _ = copy_operands(instr, escape)
    return next((s for s in sources if s.value in CONTEXT_ROOT or s.value.endswith("/")), None)


def holds_manifests(source: Operand, install: Install) -> bool:
    """`COPY requirements/ ...` before `pip install -r requirements/base.txt` is the manifest copy."""
    if source.value in CONTEXT_ROOT:
        return False
    directory = source.value.removeprefix("./")
    return all(m.removeprefix("./").startswith(directory) for m in install.manifests)


@rule("DLT004")
def copy_before_install(ctx: Context) -> Iterator[Violation]:
    for stage in ctx.dockerfile.stages:
        installed: set[str] = set()  # ecosystems whose dependencies are already in an earlier layer
        pending: list[tuple[Instruction, Operand, frozenset[str]]] = []  # broad copies not yet reported
        for instr in stage.instructions:
            source = broad_source(instr, ctx.dockerfile.directives.escape)
            if source is not None:
                pending.append((instr, source, frozenset(installed)))
                continue
            if instr.keyword != "RUN":
                continue
            for install in installs(ctx, instr):
                for copy, src, before in list(pending):
                    if install.ecosystem in before or holds_manifests(src, install):
                        continue
                    pending.remove((copy, src, before))
                    yield ctx.violation(
                        "DLT004",
                        f"`{copy.keyword} {src.value}` comes before the dependency install at line "
                        f"{instr.start_line}: every source edit re-runs it; copy "
                        f"{', '.join(install.manifests)} first, install, then copy the rest",
                        copy,
                        src.start,
                        src.end,
                    )
                installed.add(install.ecosystem)
