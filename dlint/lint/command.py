"""`dlint check` apart from argument parsing: lint (or fix), write the reports, choose the exit code.

Both ways in end here: the typer command in cli.py and the bare
`dlint check [--fix] PATH...` of main.py, which skips importing typer and click.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from dlint import exitcodes
from dlint.lint.config import ConfigError, Flags
from dlint.lint.runner import check_paths
from dlint.output import OutputError, say, use_colour, write_output
from dlint.report import render


class CheckOptions(NamedTuple):
    """What `dlint check` was asked to do, however it was asked."""

    paths: tuple[str, ...]
    outputs: tuple[tuple[str, str | None], ...] = (("text", None),)  # (format, file or None for stdout)
    flags: Flags = Flags()
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    force: bool = False  # --fix also replaces read-only and hard-linked files


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
    mode = None
    if options.fix or options.diff:
        from dlint.lint.fix import FixMode

        mode = FixMode(write=not options.diff, unsafe=options.unsafe_fixes, force=options.force)
    try:
        results = check_paths(list(options.paths), options.flags, mode)
    except ConfigError as exc:
        say(str(exc))
        return exitcodes.USAGE
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key())
    linted = [r.path for r in results if r.error is None]
    changed = [r for r in results if r.fix and r.fix.changed]
    unwritten = False
    fixed_stdin = None
    if options.diff:
        from dlint.lint.fix import unified_diff

        write_output("".join(unified_diff(r.path, r.fix.original, r.fix.text) for r in changed if r.fix), None)
    else:
        fixed_stdin = next((r.fix.text for r in results if r.path == "-" and r.fix), None)
        if fixed_stdin is not None:  # stdout carries the fixed text; reports meant for it go to stderr
            write_output(fixed_stdin, None)
    for fmt, out in options.outputs:
        if out is None and options.diff:
            continue  # stdout is the patch; reports asked for in files (--output) are still written
        stream = sys.stderr if fixed_stdin is not None else sys.stdout
        report = render.render(fmt, findings, linted, colour=out is None and use_colour(stream))
        if out is None and fixed_stdin is not None:
            sys.stderr.write(report)
            continue
        try:
            write_output(report, out)
        except OutputError as exc:  # the other reports and the summary still go out
            say(str(exc))
            unwritten = True
    for warning in dict.fromkeys(w for r in results for w in r.warnings):  # once each, not once per file
        say(f"warning: {warning}")
    errors = [r for r in results if r.error or r.crashes or (r.fix and r.fix.error)]
    for r in errors:
        for message in (r.error, r.fix.error if r.fix else None):
            if message:
                say(message)
        for c in r.crashes:
            say(f"internal error in rule {c.code} on {r.path}: {c.error}")
    if not results:
        say(f"warning: no Dockerfiles found in {' '.join(options.paths)}")
    fixed = sum(r.fix.fixed for r in changed if r.fix) if mode else None
    unreadable = sum(1 for r in results if r.error)
    files = len(results) - unreadable
    sys.stderr.write(summary(findings, files, fixed, would=options.diff, unreadable=unreadable) + "\n")
    if errors or unwritten:
        return exitcodes.USAGE
    if options.diff:
        return exitcodes.FINDINGS if changed else exitcodes.OK
    return exitcodes.FINDINGS if any(r.fails for r in results) else exitcodes.OK


def summary(findings: list, files: int, fixed: int | None = None, would: bool = False, unreadable: int = 0) -> str:
    """One stderr line; suppressed findings are only counted, never listed.

    With `fixed` (--fix, --diff) it leads with what was (or would be) fixed, and
    the findings counted are the ones left.
    """
    suppressed = sum(1 for f in findings if f.suppressed)
    shown = [f for f in findings if not f.suppressed]
    tail = f", {suppressed} suppressed inline" if suppressed else ""
    tail += f", {unreadable} file{'s' * (unreadable != 1)} not read" if unreadable else ""
    lead = "" if fixed is None else f"{'would fix' if would else 'fixed'} {fixed} finding{'s' * (fixed != 1)}, "
    where = "left in" if fixed is not None else "in"
    if not shown:
        return f"dlint: {lead}no findings {where} {files} file{'s' * (files != 1)}{tail}"
    counts: dict[str, int] = {}
    for f in shown:
        counts[str(f.level)] = counts.get(str(f.level), 0) + 1
    parts = ", ".join(f"{n} {lvl}" for lvl, n in sorted(counts.items()))
    safe = sum(1 for f in shown if f.fix and f.fix.safe)
    unsafe = sum(1 for f in shown if f.fix and not f.fix.safe)
    fixable = f"{safe} fixable" + (f" ({unsafe} more with --unsafe-fixes)" if unsafe else "")
    return (
        f"dlint: {lead}{len(shown)} finding{'s' * (len(shown) != 1)} ({parts}) {where} {files} "
        f"file{'s' * (files != 1)}, {fixable}{tail}"
    )
