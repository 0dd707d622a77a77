"""The `dlint` console script: a bare `dlint check [--fix] PATH...` runs without building the typer CLI.

That bare form is what pre-commit's two hooks, editors and people typing
`dlint check Dockerfile` run, on every commit, with settings in .dlint.toml.
Importing typer and click and building the command would be about half of its
time (README, Speed), so it goes straight to lint/command.py. Any other option,
and every other command, goes through the typer CLI in cli.py, which parses,
helps and errors.
"""

from __future__ import annotations

import gc
import os
import sys

# The dlint-fix pre-commit hook runs `dlint check --fix FILE...`: as hot a path as the bare check.
HOOK_FLAGS = frozenset({"--fix"})


def bare_check(args: list[str]) -> tuple[tuple[str, ...], bool] | None:
    """(paths, --fix) for `check` with one or more paths (`-` is stdin) and at most the hooks' `--fix`;
    None when there is anything else for typer to parse."""
    if args[:1] != ["check"]:
        return None
    paths = tuple(a for a in args[1:] if a not in HOOK_FLAGS)
    if not paths or any(a.startswith("-") and a != "-" for a in paths):
        return None
    return paths, len(paths) < len(args) - 1


def main() -> None:
    args = sys.argv[1:]
    try:
        bare = bare_check(args)
        if bare is not None:
            try:
                code = _bare_check(*bare)
            except BrokenPipeError:  # the reader went away (`dlint check ... | head`): exit as click does
                code = 1
            _exit_now(code)
        from dlint.cli import app

        app()
    except KeyboardInterrupt:
        from dlint import exitcodes

        sys.stderr.write("dlint: interrupted\n")
        sys.exit(exitcodes.INTERRUPTED)


def _bare_check(paths: tuple[str, ...], fix: bool) -> int:
    gc.disable()  # imports allocate much and free little: collecting during them is wasted time
    try:
        from dlint.lint.command import CheckOptions, run
    finally:
        gc.freeze()  # and later collections need not walk what the imports made
        gc.enable()
    return run(CheckOptions(paths, fix=fix))


def _exit_now(code: int) -> None:
    """Exit without the interpreter's teardown, which frees every module and object one by one
    (~20 ms) for a process that is about to end anyway. Every file dlint wrote is closed by then;
    only the standard streams need flushing."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, AttributeError):  # the reader went away, or a stream was closed (None): nothing more to say
        pass
    os._exit(code)
