"""The `dlint` console script: `dlint check ...` runs without building the typer CLI.

`dlint check` is what pre-commit's two hooks, editors, CI and people typing
`dlint check Dockerfile` run, on every commit. Importing typer and click and
building the command would be more than half of its time (README, Speed), so
its arguments are read by checkargs.py and the check goes straight to
lint/command.py. Help, arguments that reader leaves to click (an unknown option,
a value that is not plain, ...) and every other command go through the typer CLI
in cli.py, which parses, helps and errs.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def main() -> None:
    from dlint.output import guard_stderr

    guard_stderr()
    args = sys.argv[1:]
    try:
        values = _check_values(args)
        if values is not None:
            try:
                code = _bare_check(args[1:], values)
            except BrokenPipeError:  # the reader went away (`dlint check ... | head`): quietly, as `git log | head`
                from dlint import exitcodes

                code = exitcodes.STDOUT_CLOSED
            _exit_now(code)
        _typer_cli()
    except KeyboardInterrupt:
        from dlint import exitcodes

        sys.stderr.write("dlint: interrupted\n")
        sys.exit(exitcodes.INTERRUPTED)


def _typer_cli() -> None:
    """The typer CLI, its usage errors in one line like every dlint message: click's own are
    four, with the offending argument raw, and an argument is a file name a pull request chose
    (`--x\\n::error::...` started a GitHub workflow command in the CI log)."""
    import click

    from dlint import exitcodes
    from dlint.cli import app
    from dlint.output import say

    try:
        code = app(standalone_mode=False)
    except SystemExit:
        if isinstance(sys.stdout, click.utils.PacifyFlushWrapper):  # click's sign that stdout's reader went away
            _exit_now(exitcodes.STDOUT_CLOSED)
        raise
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "dlint"
        say(f"{exc.format_message()} (see {command} -h)")
        sys.exit(exitcodes.USAGE)
    except click.ClickException as exc:  # a bad file argument and the like
        say(exc.format_message())
        sys.exit(exc.exit_code)
    except click.Abort:  # Ctrl-C or end of input at a prompt
        raise KeyboardInterrupt from None
    sys.exit(code if isinstance(code, int) else 0)


def _check_values(args: list[str]) -> dict[str, Any] | None:
    """cli.check's parameters for `dlint check ARGS`, when they can be read without click; else None."""
    if args[:1] != ["check"]:
        return None
    from dlint.checkargs import parse

    return parse(args[1:])


def _bare_check(args: list[str], values: dict[str, Any]) -> int:
    gc.disable()  # imports allocate much and free little: collecting during them is wasted time
    try:
        from dlint.checkargs import check_options
        from dlint.lint.command import run
    finally:
        gc.freeze()  # and later collections need not walk what the imports made
        gc.enable()
    return run(check_options(args, values))


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
