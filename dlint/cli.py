"""The `dlint` command line: argument handling only; the work lives in lint/, report/ and analyse/.

Exit codes (documented in the README):
  0  nothing at or above the failure threshold
  1  findings at or above the threshold (check) / a budget failed (analyse)
  2  usage error, an unreadable input, an unreachable engine, or an internal error
  3  the image build failed (analyse)
  130 interrupted
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import click
import typer
from typer.core import TyperCommand

from dlint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class RawArgsCommand(TyperCommand):
    """Keeps the raw argument list so `--format X --output F` pairs can be read in order."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Lint Dockerfiles and measure what their layers cost.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlint {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Lint Dockerfiles and measure what their layers cost."""


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    typer.echo(f"dlint: {message}", err=True)
    return typer.Exit(code)


def format_pairs(raw_args: list[str], formats: list[str], default: str) -> list[tuple[str, str | None]]:
    """(format, output file or None for stdout) in command-line order.

    Each `--output` belongs to the `--format` written before it, so
    `--format sarif --output x.sarif --format text` writes SARIF to a file and
    text to stdout. An `--output` with no format before it takes the default.
    """
    pairs: list[list] = []
    it = iter(raw_args)
    for tok in it:
        name, eq, val = tok.partition("=")
        if name in ("--format", "-f", "--output", "-o"):
            value = val if eq else next(it, None)
            if value is None:
                break
            if name in ("--format", "-f"):
                pairs.append([value, None])
            elif pairs and pairs[-1][1] is None:
                pairs[-1][1] = value
            else:
                pairs.append([default, value])
        elif tok == "--":
            break
    if not pairs:
        pairs = [[f, None] for f in formats] or [[default, None]]
    return [(f, o) for f, o in pairs]


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


@app.command(cls=RawArgsCommand)
def check(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Dockerfiles or directories (searched recursively); - for stdin."),
    format: Optional[list[str]] = typer.Option(None, "--format", "-f", help="text (default) or json. Repeatable."),
    output: Optional[list[str]] = typer.Option(None, "--output", "-o", help="Write the preceding --format here."),
) -> None:
    """Lint Dockerfiles."""
    from dlint.lint.engine import Selection
    from dlint.lint.runner import check_paths
    from dlint.report import render

    pairs = format_pairs(ctx.meta.get("raw_args", []), format or [], "text")
    for fmt, _ in pairs:
        if fmt not in render.FORMATS:
            raise fail(f"unknown format {fmt!r} (choose from {', '.join(render.FORMATS)})")
    results = check_paths(paths, Selection.default())
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key())
    for fmt, out in pairs:
        write_output(render.render(fmt, findings, colour=out is None and use_colour()), out)
    errors = [r for r in results if r.error or r.crashes]
    for r in errors:
        if r.error:
            typer.echo(f"dlint: {r.error}", err=True)
        for c in r.crashes:
            typer.echo(f"dlint: internal error in rule {c.code} on {r.path}: {c.error}", err=True)
    typer.echo(summary(findings, len(results)), err=True)
    if errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)


def summary(findings: list, files: int) -> str:
    if not findings:
        return f"dlint: no findings in {files} file{'s' * (files != 1)}"
    counts: dict[str, int] = {}
    for f in findings:
        counts[str(f.level)] = counts.get(str(f.level), 0) + 1
    parts = ", ".join(f"{n} {lvl}" for lvl, n in sorted(counts.items()))
    fixable = sum(f.fixable for f in findings)
    return f"dlint: {len(findings)} finding{'s' * (len(findings) != 1)} ({parts}) in {files} file{'s' * (files != 1)}, {fixable} fixable"


@app.command("rules")
def rules_cmd() -> None:
    """List every rule: code, name, level, summary."""
    from dlint.lint.registry import all_rules

    rows = [(r.code, r.name, str(r.level), ("" if r.default else "opt-in ") + r.summary) for r in all_rules().values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code such as DL3009, or its name.")) -> None:
    """Print a rule's page."""
    from dlint.lint.registry import all_rules

    rules = all_rules()
    match = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
    if match is None:
        raise fail(f"unknown rule {code!r}; `dlint rules` lists them")
    typer.echo(match.text().rstrip())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("dlint: interrupted", err=True)
        sys.exit(130)
