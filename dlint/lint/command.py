"""`dlint check` apart from argument parsing: lint (or fix), write the reports, choose the exit code.

Each file's results are reported as soon as it is done (its diff or fixed text,
its findings in every report that streams, its messages) and then dropped: the
run keeps counts for the summary, and only the whole-document reports keep findings.

Both ways in end here: the typer command in cli.py and the bare
`dlint check [--fix] PATH...` of main.py, which skips importing typer and click.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from dlint import exitcodes
from dlint.lint.config import ConfigError, Flags
from dlint.lint.runner import FileResult, crash_message, plan, results
from dlint.output import OutputError, printable_patch, printable_text, say, use_colour, write_output
from dlint.report import render
from dlint.report.stream import Report


class CheckOptions(NamedTuple):
    """What `dlint check` was asked to do, however it was asked."""

    paths: tuple[str, ...]
    outputs: tuple[tuple[str, str | None], ...] = (("text", None),)  # (format, file or None for stdout)
    flags: Flags = Flags()
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    force: bool = False  # --fix also replaces read-only and hard-linked files
    jobs: int | None = None  # worker processes; None: one per CPU when there are enough files (runner.default_jobs)


def run(options: CheckOptions) -> int:
    try:
        return _run(options)
    except OutputError as exc:  # stdout failed for a diff or fixed text: nothing else is worth saying
        say(str(exc))
        return exitcodes.USAGE
    except KeyboardInterrupt:  # typer would turn it into a silent exit 130; say why on both paths
        say("interrupted")
        return exitcodes.INTERRUPTED


def _run(options: CheckOptions) -> int:
    for fmt, _ in options.outputs:
        if fmt not in render.FORMATS:
            say(f"unknown format {fmt!r} (choose from {', '.join(render.FORMATS)})")
            return exitcodes.USAGE
    if options.unsafe_fixes and not (options.fix or options.diff):
        say("--unsafe-fixes only applies with --fix or --diff")
        return exitcodes.USAGE
    if options.force and not options.fix:
        say("--force only applies with --fix")
        return exitcodes.USAGE
    if options.jobs is not None and options.jobs < 1:
        say(f"--jobs must be 1 or more, not {options.jobs}")
        return exitcodes.USAGE
    mode = None
    if options.fix or options.diff:
        from dlint.lint.fix import FixMode

        mode = FixMode(write=not options.diff, unsafe=options.unsafe_fixes, force=options.force)
    try:
        work = plan(list(options.paths), options.flags, mode)
    except ConfigError as exc:
        say(str(exc))
        return exitcodes.USAGE
    # `dlint check - --fix` prints the fixed text on stdout: the reports meant for stdout go to stderr.
    fixes_stdin = options.fix and not options.diff and any(path == "-" for path, _ in work.files)
    stream = sys.stderr if fixes_stdin else None
    reports = [
        Report(fmt, out, stream, colour=out is None and use_colour(stream or sys.stdout))
        for fmt, out in options.outputs
        if not (out is None and options.diff)  # stdout is the patch; reports asked for in files are still written
    ]
    tally = Tally(fixing=mode is not None)
    try:
        for result in results(work, options.jobs):
            _report(result, reports, tally, options.diff)
    except BaseException:
        for report in reports:
            report.discard()
        raise
    for report in reports:
        report.close()
    if not tally.files and not tally.unreadable:
        say(f"warning: no Dockerfiles found in {' '.join(options.paths)}")
    sys.stderr.write(tally.summary(would=options.diff) + "\n")
    if tally.errors or any(report.failed for report in reports):
        return exitcodes.USAGE
    if options.diff:
        return exitcodes.FINDINGS if tally.changed else exitcodes.OK
    return exitcodes.FINDINGS if tally.fails else exitcodes.OK


def _report(result: FileResult, reports: list[Report], tally: Tally, diff: bool) -> None:
    """Everything about one file, as soon as it is done: its fix, its findings, its messages."""
    fix = result.fix
    if fix is not None and fix.changed and diff:
        from dlint.lint.fix import unified_diff

        write_output(printable_patch(unified_diff(result.path, fix.original, fix.text)), None)
    elif fix is not None and result.path == "-" and not diff:
        write_output(_fixed_for_stdout(fix.text), None)
    for report in reports:
        report.add(result.path, result.findings, linted=result.error is None)
    for warning in result.warnings:
        if warning not in tally.warned:  # once each, not once per file
            tally.warned.add(warning)
            say(f"warning: {warning}")
    for message in (result.error, fix.error if fix else None):
        if message:
            say(message)
    for crash in result.crashes:
        say(crash_message(result.path, crash))
    tally.add(result)


def _fixed_for_stdout(text: str) -> str:
    """`--fix -`'s text as it came (BOM, line ends, every byte) for a pipe or a file; on a terminal, with its
    control characters escaped as `--diff` prints them: a hostile Dockerfile's escape sequences would
    otherwise reach the terminal. Said once on stderr when it changes anything."""
    if sys.stdout is None or not sys.stdout.isatty():
        return text
    shown = printable_text(text)
    if shown != text:
        say("stdout is a terminal: control characters in the fixed text are shown escaped (\\x1b); "
            "redirect it (> FILE, | CMD) for the exact text")
    return shown


class Tally:
    """What the summary line and the exit code need, counted file by file (no finding is kept)."""

    def __init__(self, fixing: bool = False) -> None:
        self.fixed: int | None = 0 if fixing else None  # findings fixed (--fix) or fixable (--diff)
        self.files = self.unreadable = self.suppressed = self.safe = self.unsafe = 0
        self.levels: dict[str, int] = {}
        self.errors = self.fails = self.changed = False
        self.warned: set[str] = set()

    def add(self, result: FileResult) -> None:
        if result.error:
            self.unreadable += 1
        else:
            self.files += 1
        for f in result.findings:
            if f.suppressed:
                self.suppressed += 1
                continue
            self.levels[str(f.level)] = self.levels.get(str(f.level), 0) + 1
            if f.fix:
                self.safe += f.fix.safe
                self.unsafe += not f.fix.safe
        fix = result.fix
        if fix is not None and fix.changed:
            self.changed = True
            self.fixed = (self.fixed or 0) + fix.fixed
        self.errors = self.errors or bool(result.error or result.crashes or (fix and fix.error))
        self.fails = self.fails or result.fails

    def summary(self, would: bool = False) -> str:
        """One stderr line; suppressed findings are only counted, never listed.

        With --fix or --diff it leads with what was (or would be) fixed, and
        the findings counted are the ones left.
        """
        files, fixed, unreadable = self.files, self.fixed, self.unreadable
        tail = f", {self.suppressed} suppressed inline" if self.suppressed else ""
        tail += f", {unreadable} file{'s' * (unreadable != 1)} not read" if unreadable else ""
        lead = "" if fixed is None else f"{'would fix' if would else 'fixed'} {fixed} finding{'s' * (fixed != 1)}, "
        where = "left in" if fixed is not None else "in"
        shown = sum(self.levels.values())
        if not shown:
            return f"dlint: {lead}no findings {where} {files} file{'s' * (files != 1)}{tail}"
        parts = ", ".join(f"{n} {lvl}" for lvl, n in sorted(self.levels.items()))
        fixable = f"{self.safe} fixable" + (f" ({self.unsafe} more with --unsafe-fixes)" if self.unsafe else "")
        return (
            f"dlint: {lead}{shown} finding{'s' * (shown != 1)} ({parts}) {where} {files} "
            f"file{'s' * (files != 1)}, {fixable}{tail}"
        )
