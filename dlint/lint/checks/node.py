"""npm and yarn: pinned global packages and no package cache left in the image."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lint.checks.package_rules import has_option, installs, missing_cleanup, unpinned
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.parsing.packages import PackageCommand

GIT = ("git:", "git+ssh:", "git+http:", "git+https:", "github:", "gitlab:", "bitbucket:", "gist:")
TARBALLS = (".tar", ".tar.gz", ".tgz")
PATHS = ("/", "./", "../", "~/", "file:")
MOVING_TAGS = frozenset({"latest"})
YARN_CACHES = ("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "~/.cache/yarn", "$HOME/.cache/yarn",
               "${HOME}/.cache/yarn", "$(yarn cache dir)")  # fmt: skip


def pinned(package: str) -> bool:
    """`name@1.2.3`, a git URL or `user/repo` with `#ref`, a tarball or a local folder; `@latest` moves."""
    if package.startswith(GIT):
        return "#" in package
    if package.endswith(TARBALLS) or package.startswith(PATHS) or package in (".", ".."):
        return True
    name = package.lstrip("@")  # `@scope/name@1.2`: the first `@` is the scope's
    if "@" in name:
        return name.rpartition("@")[2] not in MOVING_TAGS
    return "/" in name and "#" in name and not package.startswith("@")  # GitHub `user/repo#ref`


@rule("DL3016")
def npm_unpinned(ctx: Context) -> Iterator[Violation]:
    yield from unpinned(
        ctx, "DL3016", installs(ctx, {"npm"}, {"install"}), pinned,
        "write `package@<version>` so a rebuild installs what was tested",
    )  # fmt: skip


def yarn_installs(pc: PackageCommand) -> bool:
    """`yarn`, `yarn install`, `yarn add ...` and `yarn global add ...` all fill yarn's cache."""
    if pc.manager != "yarn":
        return False
    if pc.subcommand == "global":
        return bool(pc.packages) and pc.packages[0].value == "add"
    if pc.subcommand is None:  # bare `yarn` installs, `yarn --version` does not
        return not has_option(pc, "--version", "-v", "--help", "-h")
    return pc.subcommand in ("install", "add")


def yarn_cleans(pc: PackageCommand) -> bool:
    return pc.manager == "yarn" and pc.subcommand == "cache" and any(w.value == "clean" for w in pc.packages[:1])


@rule("DL3060")
def yarn_cache_not_cleaned(ctx: Context) -> Iterator[Violation]:
    yield from missing_cleanup(
        ctx,
        "DL3060",
        yarn_installs,
        yarn_cleans,
        YARN_CACHES,
        lambda pc: "yarn keeps a copy of every package it fetched in its cache, in this layer; end the RUN with "
        "`yarn cache clean` (or mount a cache on it)",
    )
