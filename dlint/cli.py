"""The `dlint` command line (typer): argument handling only; the work lives in lint/, report/ and analyse/.

Exit codes are in dlint/exitcodes.py. `dlint check` with the options checkargs.py reads does not
come here: main.py runs it without building this CLI; anything else it hands to this one.
"""

from __future__ import annotations

import sys
from typing import Optional

# typer imports rich whenever some other package installed it (~65 ms a start): dlint never uses rich's
# output, so typer is shown rich as absent while it loads and gives typer-slim's plain help and errors.
_HIDE_RICH = "rich" not in sys.modules
if _HIDE_RICH:
    sys.modules["rich"] = None  # type: ignore[assignment] - `import rich` raises ImportError

import click
import typer
from typer.core import TyperCommand, TyperGroup

if _HIDE_RICH:
    del sys.modules["rich"]  # anything else may still import the real one

from dlint import __version__, exitcodes
from dlint.checkargs import check_options, format_pairs
from dlint.output import OutputError, say, write_output
from dlint.parsing.source import MAX_FILE_SIZE


class RawArgsCommand(TyperCommand):
    """Keeps the raw argument list so `--format X --output F` pairs can be read in order."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["raw_args"] = list(args)
        return super().parse_args(ctx, args)


class Commands(TyperGroup):
    """`analyze` is `analyse` spelt the American way: resolved here rather than built as a second command."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, "analyse" if cmd_name == "analyze" else cmd_name)


app = typer.Typer(
    cls=Commands,
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


def fail(message: str, code: int = exitcodes.USAGE) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    say(message)
    return typer.Exit(code)


@app.command(cls=RawArgsCommand)
def check(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Dockerfiles or directories (searched recursively); - for stdin."),
    format: Optional[list[str]] = typer.Option(
        None, "--format", "-f", help="text (default), json, sarif, github, gitlab, checkstyle, junit, sonarqube, rdjson, gnu or markdown. Repeatable."
    ),
    output: Optional[list[str]] = typer.Option(None, "--output", "-o", help="Write the preceding --format here."),
    select: Optional[list[str]] = typer.Option(
        None, "--select", help="Only these codes or prefixes (ALL: every rule); replaces the config's selection."
    ),
    extend_select: Optional[list[str]] = typer.Option(None, "--extend-select", help="Also run these codes or prefixes."),
    ignore: Optional[list[str]] = typer.Option(None, "--ignore", help="Do not run these codes or prefixes."),
    failure_threshold: Optional[str] = typer.Option(
        None, "--failure-threshold", help="Fail only on findings at this level or above: error, warning, info, style, none."
    ),
    config: Optional[str] = typer.Option(None, "--config", help="Use this config file instead of searching for one."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore every config file."),
    no_inline_ignores: bool = typer.Option(
        False, "--no-inline-ignores", help="Report what `# dlint ignore=` / `# hadolint ignore=` pragmas silence."
    ),
    shellcheck: Optional[bool] = typer.Option(
        None, "--shellcheck/--no-shellcheck",
        help="Also run ShellCheck on RUN scripts and report its SC codes (needs `shellcheck` on PATH).",
    ),
    no_gitignore: bool = typer.Option(
        False, "--no-gitignore", help="Search directories whole, including what git ignores (.gitignore, info/exclude)."
    ),
    target: Optional[list[str]] = typer.Option(
        None, "--target", help="A stage that ships (repeatable); given, only these and their FROM stages ship."
    ),
    fix: bool = typer.Option(
        False, "--fix", help="Apply safe fixes in place, then report what is left; with - print the fixed text."
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Print the fixes as a unified diff and write nothing; exit 1 if anything would change."
    ),
    unsafe_fixes: bool = typer.Option(
        False, "--unsafe-fixes", help="With --fix or --diff: also apply fixes that change what the build does."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --fix: also replace read-only files, files with other hard links (splitting them) and "
        "symbolic links out of their directory and the current one.",
    ),
    max_file_size: int = typer.Option(
        MAX_FILE_SIZE, "--max-file-size", metavar="BYTES", min=0, help="Refuse, unread, a Dockerfile that is larger.",
    ),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", metavar="N", min=1,
        help="Lint in N processes (default: one per CPU when there are more than 32 files); output is the same.",
    ),
) -> None:
    """Lint Dockerfiles. Settings come from the nearest .dlint.toml or [tool.dlint] in pyproject.toml; flags win."""
    values = {name: value for name, value in locals().items() if name != "ctx"}  # every parameter, nothing else yet
    from dlint.lint.command import run

    raise typer.Exit(run(check_options(ctx.meta.get("raw_args", []), values)))


@app.command(cls=RawArgsCommand)
def analyse(
    ctx: typer.Context,
    dockerfile: Optional[str] = typer.Argument(
        None, show_default=False,
        help="The Dockerfile to build (default: Dockerfile); with --archive/--image, the one to tie layers to.",
    ),
    context: Optional[str] = typer.Option(None, "--context", help="Build context (default: the Dockerfile's directory)."),
    tag: Optional[str] = typer.Option(None, "--tag", "-t", help="Tag the built image."),
    target: Optional[str] = typer.Option(None, "--target", help="Build up to this stage."),
    build_arg: Optional[list[str]] = typer.Option(None, "--build-arg", help="KEY=VALUE. Repeatable."),
    builder: str = typer.Option(
        "auto", "--builder",
        help="auto (buildkit when a usable docker CLI is there, else classic), classic (the SDK) or buildkit.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Build without the layer cache."),
    rm: bool = typer.Option(
        False, "--rm", help="Remove the built image afterwards (by default it stays, as after `docker build`).",
    ),
    cache_probe: Optional[list[str]] = typer.Option(
        None, "--cache-probe", metavar="PATH",
        help="After the build, change PATH (in a copy of the context) and rebuild: what does an edit cost? Repeatable.",
    ),
    format: Optional[list[str]] = typer.Option(
        None, "--format", "-f", help="text (default), json, markdown, junit or html. Repeatable."
    ),
    output: Optional[list[str]] = typer.Option(None, "--output", "-o", help="Write the preceding --format here."),
    max_size: Optional[str] = typer.Option(
        None, "--max-size", metavar="SIZE",
        help="Fail (exit 1) when the image is larger, uncompressed: 200MB (10^6), 200MiB (2^20) or bytes.",
    ),
    max_layers: Optional[int] = typer.Option(
        None, "--max-layers", metavar="N", help="Fail when the image has more layers.",
    ),
    max_step_size: Optional[str] = typer.Option(
        None, "--max-step-size", metavar="SIZE",
        help="Fail when one step's layer is larger (the base image is not a step).",
    ),
    baseline: Optional[str] = typer.Option(
        None, "--baseline", metavar="FILE", help="Compare with an earlier run's JSON report (see --save-baseline).",
    ),
    max_growth: Optional[str] = typer.Option(
        None, "--max-growth", metavar="LIMIT",
        help="With --baseline: fail when the image or one step grew more: 5% (of the baseline image) or a size.",
    ),
    save_baseline: Optional[str] = typer.Option(
        None, "--save-baseline", metavar="FILE", help="Write this run's JSON report here, for a later --baseline.",
    ),
    min_cache_hit_rate: Optional[float] = typer.Option(
        None, "--min-cache-hit-rate", metavar="RATE",
        help="Fail when a smaller share of the steps came from the cache (0.8 = 80%); names the first miss.",
    ),
    no_waste: bool = typer.Option(
        False, "--no-waste",
        help="Skip waste accounting and cache-directory bytes (they read the image once through `docker save`).",
    ),
    archive: Optional[str] = typer.Option(
        None, "--archive", metavar="FILE|DIR",
        help="Read a docker-archive or OCI layout (tar or directory) instead of building: no engine, no network.",
    ),
    archive_image: Optional[str] = typer.Option(
        None, "--image", metavar="NAME[:TAG]",
        help="Analyse this image from the engine instead of building; with --archive, the image to pick from it.",
    ),
    build_log: Optional[str] = typer.Option(
        None, "--build-log", metavar="FILE|-",
        help="With --archive or --image: the build's own log (classic, BuildKit plain, buildx rawjson, Podman):"
        " cache and seconds.",
    ),
) -> None:
    """Build with a real Docker Engine, or read a built image (--image, --archive); measure every step's layer size,
    cache hit, time and waste; gate on budgets."""
    if build_log is not None and archive is None and archive_image is None:
        raise fail("--build-log goes with --archive or --image: a build dlint runs is measured from its own stream")
    if build_log is not None and dockerfile is None:
        raise fail("--build-log needs the DOCKERFILE the log is of")
    if archive is not None or archive_image is not None:
        from dlint.analyse.prebuilt import open_input

        # What only a build (or its log) gives cannot be asked of an image built elsewhere: refused, not ignored.
        # Given is not None, not truthy: `--max-layers 0`, `--min-cache-hit-rate 0` and `--baseline ""` were
        # ignored, so the gate they asked for passed unchecked.
        refused = [name for name, given in (
            ("--context", context is not None), ("--tag", tag is not None), ("--build-arg", build_arg),
            ("--builder", builder != "auto"), ("--no-cache", no_cache), ("--rm", rm), ("--cache-probe", cache_probe),
            ("--min-cache-hit-rate", min_cache_hit_rate is not None and build_log is None),
        ) if given]
        if dockerfile is None:  # the layer table: nothing is tied to a line, so no step budget or report format
            refused += [name for name, value in (
                ("--max-size", max_size), ("--max-layers", max_layers), ("--max-step-size", max_step_size),
                ("--baseline", baseline), ("--save-baseline", save_baseline), ("--max-growth", max_growth),
                ("--format", format or None), ("--output", output or None), ("--target", target),
            ) if value is not None]
        if refused:
            needs = "a build" if dockerfile is not None else "a build or a DOCKERFILE to tie the layers to"
            raise fail(f"{'--archive' if archive is not None else '--image'} does not take "
                       f"{', '.join(refused)}: {'they need' if len(refused) > 1 else 'it needs'} {needs}")
        read, source = open_input(archive, archive_image)
        if dockerfile is None:
            from dlint.analyse.layertable import run_layers

            raise typer.Exit(run_layers(read, source, _write_or_exit))
    from dlint.analyse.command import AnalyseOptions, run

    options = AnalyseOptions(
        dockerfile=dockerfile or "Dockerfile", context=context, tag=tag, target=target,
        build_args=tuple(build_arg or ()),
        builder=builder, no_cache=no_cache, rm=rm, cache_probes=tuple(cache_probe or ()),
        outputs=tuple(format_pairs(ctx.meta.get("raw_args", []), format or [], "text")),
        max_size=max_size, max_layers=max_layers, max_step_size=max_step_size, max_growth=max_growth,
        min_cache_hit_rate=min_cache_hit_rate, baseline=baseline, save_baseline=save_baseline, waste=not no_waste,
    )
    if archive is not None or archive_image is not None:
        import sys

        from dlint.analyse import prebuilt

        raise typer.Exit(prebuilt.run(options, read, source, _write_or_exit, sys.stderr, build_log))
    raise typer.Exit(run(options, _write_or_exit))


def _write_or_exit(text: str, output: str | None) -> None:
    try:
        write_output(text, output)
    except OutputError as exc:
        raise fail(str(exc)) from None



@app.command("extract")
def extract_cmd(
    image: str = typer.Argument(..., help="Image name or id."),
    src: str = typer.Argument(..., help="Absolute path in the image; a link is followed."),
    dest: str = typer.Argument(..., help="Host path: an existing directory receives SRC by name, else SRC becomes DEST."),
) -> None:
    """Copy a file or directory out of an image, as `docker cp` does from a container that never runs."""
    from docker.errors import DockerException

    from dlint.analyse.engine import EngineUnreachable, connect
    from dlint.analyse.extract import ExtractError, extract

    try:
        engine = connect()
        where, report = extract(engine.client, image, src, dest)
    except (EngineUnreachable, ExtractError) as exc:
        raise fail(str(exc)) from None
    except DockerException as exc:
        raise fail(f"the engine failed: {exc}") from None
    for warning in report.warnings:
        say(f"warning: {warning}")
    say(report.summary(where))


@app.command("rules")
def rules_cmd(
    format: str = typer.Option("text", "--format", "-f", help="text, or markdown (the README's rules table)."),
) -> None:
    """List every rule: code, name, level, summary."""
    from dlint.lint.registry import all_rules

    rules = all_rules().values()
    if format == "markdown":
        typer.echo("| code | name | level | fix | summary |\n| --- | --- | --- | :-: | --- |")
        for r in rules:
            opt_in = "" if r.default else " *(opt-in)*"
            fix = "yes" if r.fixable else ""
            name = " ".join(f"`{n}`" for n in (r.name, *r.aliases))
            typer.echo(f"| [{r.code}](rules/{r.code}.md) | {name} | {r.level} | {fix} | {r.summary}{opt_in} |")
        return
    if format != "text":
        raise fail(f"unknown format {format!r} (choose from text, markdown)")
    rows = [(r.code, ", ".join((r.name, *r.aliases)), str(r.level), ("" if r.default else "opt-in ") + r.summary)
            for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


@app.command()
def explain(code: str = typer.Argument(..., help="A rule code such as DL3009, or its name.")) -> None:
    """Print a rule's page."""
    from dlint.lint.registry import all_rules, canonical

    rules = all_rules()
    match = rules.get(canonical(code)) or next((r for r in rules.values() if r.name == code), None)
    if match is None:
        raise fail(f"unknown rule {code!r}; `dlint rules` lists them")
    typer.echo(match.text().rstrip())



@app.command()
def lsp(
    tcp: str = typer.Option(None, "--tcp", metavar="HOST:PORT", help="Listen on TCP instead of stdio."),
    log_level: str = typer.Option("warning", "--log-level", help="debug shows tracebacks on stderr."),
) -> None:
    """Run the language server (stdio): findings, fixes and rule pages in any LSP editor."""
    port = tcp.rpartition(":")[2] if tcp is not None else "0"
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and int(port) <= 65535):  # bind() raised past it
        raise fail(f"--tcp {tcp!r}: expected HOST:PORT")
    from dlint.lsp.server import serve

    serve(tcp, log_level)
