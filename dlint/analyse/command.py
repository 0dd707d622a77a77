"""One `dlint analyse` run: lint, build with a real engine, measure, clean up, report.

Exit codes: 0 built and measured; 1 a budget failed (budgets come with the CI
reports); 2 usage error, unreadable Dockerfile, no engine, no BuildKit-capable
CLI for --builder buildkit, a build stream with no step line dlint reads, a --build-log dlint cannot read or
of another Dockerfile; 3 the build failed (or the --build-log records a failed build); 130 interrupted. Lint findings alone never fail an
analyse run: `dlint check` is the gate for those.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dlint import exitcodes
from dlint.analyse.budget import Baseline, BudgetError, Budgets, load_baseline, parse_budgets
from dlint.analyse.cacheprobe import CacheProbeError, ProbeTarget, probe, targets
from dlint.analyse.steps import AnalysisResult, BuildOutcome, BuildRequest, TooManySteps, stage_named
from dlint.lint.config import ConfigError, Resolver
from dlint.lint.engine import Selection, lint
from dlint.lint.finding import Finding
from dlint.lint.runner import with_crashes
from dlint.output import say
from dlint.model import Dockerfile, Stage
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import SourceError, read_source

if TYPE_CHECKING:
    from dlint.analyse.buildkit import CliSearch
    from dlint.analyse.engine import Tracker

BUILDERS = ("auto", "classic", "buildkit")
PODMAN = "podman"  # the classic stream through Podman's compatible API; sizes by step image id, as classic

Writer = Callable[[str, "str | None"], None]


class UsageError(Exception):
    """Bad options or input: one line, exit 2."""


@dataclass(frozen=True)
class AnalyseOptions:
    """The options of one `dlint analyse` run, as the CLI parsed them."""

    dockerfile: str = "Dockerfile"
    context: str | None = None  # default: the Dockerfile's directory
    tag: str | None = None
    target: str | None = None
    build_args: tuple[str, ...] = ()
    builder: str = "auto"  # buildkit when a usable docker CLI is there, else classic
    no_cache: bool = False
    rm: bool = False  # also remove the built image (docker build leaves it, and the cache with it)
    cache_probes: tuple[str, ...] = ()  # context paths to change and rebuild (--cache-probe)
    outputs: tuple[tuple[str, str | None], ...] = (("text", None),)  # (format, file or None for stdout)
    max_size: str | None = None  # budgets, as written: "200MB", "200MiB", bytes
    max_layers: int | None = None
    max_step_size: str | None = None
    max_growth: str | None = None  # "5%" or a size; needs baseline
    min_cache_hit_rate: float | None = None
    baseline: str | None = None  # an earlier run's JSON report
    save_baseline: str | None = None  # write this run's JSON report here
    waste: bool = True  # read the image's layers (one `docker save` stream) to account waste


@dataclass
class Prepared:
    """What is checked and linted before the engine is touched, so bad input costs no build."""

    request: BuildRequest
    df: Dockerfile
    selection: Selection
    findings: list[Finding] = field(default_factory=list)
    probe_targets: list[ProbeTarget] = field(default_factory=list)
    budgets: Budgets = field(default_factory=Budgets)
    baseline: Baseline | None = None


def run(options: AnalyseOptions, write: Writer, err: TextIO | None = None) -> int:
    from dlint.analyse import buildkit

    err = err or sys.stderr
    # Asked first, answered while the rest starts up; unused when the engine turns out to be Podman.
    search = buildkit.CliSearch() if options.builder in ("auto", "buildkit") else None
    try:
        try:
            prepared = prepare(options)
        except UsageError as exc:
            return _fail(err, str(exc), exitcodes.USAGE)

        from dlint.analyse import engine as engine_mod

        try:
            engine = engine_mod.connect()
        except engine_mod.EngineUnreachable as exc:
            return _fail(err, str(exc), exitcodes.USAGE)
        try:
            result = build_and_measure(engine, options, prepared, err, search)
        except _Stopped as stop:
            return _fail(err, stop.message, stop.code)
    finally:
        if search is not None:
            search.close()
    return report(options, result, write, err)


def report(options: AnalyseOptions, result: AnalysisResult, write: Writer, err: TextIO) -> int:
    """Write every requested report and the baseline, then the exit code the result and budgets give."""
    from dlint.analyse.report import render

    for fmt, path in options.outputs:
        write(render(fmt, result), path)
    if options.save_baseline:
        if result.image is None:
            say(f"no baseline written to {options.save_baseline}: the build made no image", err)
        else:
            write(render("json", result), options.save_baseline)
    if result.error:
        failed = result.failed_step
        where = f" at line {failed.line}" if failed and failed.line else ""
        return _fail(err, f"build failed{where}: {result.error}", exitcodes.BUILD_FAILED)
    return _verdict(result, err)


def prepare(options: AnalyseOptions) -> Prepared:
    """Everything that can be checked before touching the engine."""
    from dlint.analyse.report import FORMATS

    if options.builder not in BUILDERS:
        raise UsageError(f"unknown builder {options.builder!r} (choose from {', '.join(BUILDERS)})")
    for fmt, _ in options.outputs:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if options.dockerfile == "-":
        raise UsageError("analyse needs a Dockerfile on disk (the build reads it), not stdin")
    dockerfile = Path(options.dockerfile).resolve()
    # The Dockerfile first: a mistyped path must be named as such, not as a missing default context.
    try:
        text = read_source(str(dockerfile))
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    context = Path(options.context).resolve() if options.context else dockerfile.parent
    if not context.is_dir():
        raise UsageError(f"build context {options.context or str(context)!r} is not a directory")
    for option, path in [("--output", p) for _, p in options.outputs] + [("--save-baseline", options.save_baseline)]:
        _check_writable(option, path)
    df = parse(text, options.dockerfile)
    if options.target and stage_named(df, options.target) is None:
        raise UsageError(f"no stage named {options.target!r} in {options.dockerfile}")
    try:
        probe_targets = targets(context, list(options.cache_probes))
    except CacheProbeError as exc:
        raise UsageError(str(exc)) from None
    try:
        budgets = parse_budgets(options.max_size, options.max_layers, options.max_step_size, options.max_growth,
                                options.min_cache_hit_rate, options.baseline)
        baseline = load_baseline(options.baseline) if options.baseline is not None else None
    except BudgetError as exc:
        raise UsageError(str(exc)) from None
    selection = _selection(dockerfile, options.target)
    findings, crashes = lint(df, selection)
    # What `dlint check` shows of the file: its inline-silenced findings left out, a crashing rule an error.
    findings = with_crashes(df.path, [f for f in findings if not f.suppressed], crashes)
    request = BuildRequest(
        dockerfile=dockerfile,
        context=context,
        tag=options.tag,
        target=options.target,
        build_args=_build_args(options.build_args),
        no_cache=options.no_cache,
    )
    return Prepared(request, df, selection, findings, probe_targets, budgets, baseline)


def _selection(dockerfile: Path, target: str | None) -> Selection:
    """The rules `dlint check` runs on the file: its config (the nearest `.dlint.toml` or `pyproject.toml` with
    `[tool.dlint]`, as for `dlint check`), with the stage analysed (`--target`) as the one that ships."""
    try:
        selection = Resolver().settings_for(str(dockerfile)).selection
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return replace(selection, targets=(target,)) if target else selection


def _check_writable(option: str, path: str | None) -> None:
    """Refuse an --output or --save-baseline that cannot be written before building, not after minutes of it."""
    if path is None or path == "-":
        return
    if not path:  # an unset CI variable: the current directory would be named as the file
        raise UsageError(f"{option} '': an empty path names no file")
    target = Path(path).absolute()
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {path}: no such directory {target.parent}")
    if not os.access(target if target.exists() else target.parent, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")


def _build_args(items: tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE; a bare KEY takes the environment's value, as `docker build --build-arg KEY` does."""
    args: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not key:
            raise UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        if eq:
            args[key] = value
        elif key in os.environ:
            args[key] = os.environ[key]
    return args


class _Stopped(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def build_and_measure(engine, options: AnalyseOptions, prepared: Prepared, err: TextIO,
                      search: CliSearch | None) -> AnalysisResult:
    """Build and measure; then remove what dlint added (containers, probe rebuilds), the built image only with --rm."""
    from docker.errors import DockerException

    from dlint.analyse import buildkit, classic
    from dlint.analyse.engine import Tracker
    from dlint.analyse.progress import Progress

    df, request = prepared.df, prepared.request
    cli = None
    podman = _is_podman(engine)
    if search is not None and (options.builder == "buildkit" or not podman):
        try:
            cli = search.answer()
        except buildkit.BuilderUnavailable as exc:
            if options.builder == "buildkit":
                raise _Stopped(str(exc), exitcodes.USAGE) from None
    # From here on options.builder names the builder that runs (the report says which).
    options = replace(options, builder="buildkit" if cli is not None else PODMAN if podman else "classic")
    tracker = Tracker.start(engine, keep_images=not options.rm)
    progress = Progress(err)
    result = AnalysisResult(dockerfile=options.dockerfile, context=str(request.context), builder=options.builder,
                            steps=[], findings=prepared.findings)
    stop: _Stopped | None = None

    def build(req: BuildRequest, into: Tracker) -> BuildOutcome:
        if cli is not None:
            return buildkit.build(cli, req, df, progress, into)
        return classic.build(engine, req, df, progress, into)

    try:
        outcome = build(request, tracker)
        _platforms(engine, df, prepared.selection, result)
        history = _measure(engine, df, options, outcome, result)
        if outcome.image_id:
            if options.waste:
                _waste(engine, df, options, history, result)
            _cache_probe(engine, df, options, prepared, result, build, err)
    except KeyboardInterrupt:
        stop = _Stopped("interrupted: the build was stopped and its containers removed", exitcodes.INTERRUPTED)
    except (buildkit.BuilderUnavailable, classic.UnreadableStream) as exc:
        stop = _Stopped(str(exc), exitcodes.USAGE)
    except TooManySteps as exc:
        stop = _Stopped(f"the build's output {exc}", exitcodes.USAGE)
    except DockerException as exc:
        stop = _Stopped(f"the engine failed during the build: {exc}", exitcodes.USAGE)
    finally:
        progress.close()
        for problem in tracker.clean():
            say(problem, err)
    if stop is not None:
        raise stop
    tie_findings(result)
    apply_budgets(df, options, prepared, result)
    return result


def _platforms(engine, df: Dockerfile, selection: Selection, result: AnalysisResult) -> None:
    """DLB015 (InvalidBaseImagePlatform): each FROM's base image against the stage's platform, lint findings."""
    from docker.errors import DockerException

    from dlint.analyse import platform

    def inspect(name: str) -> dict | None:
        try:
            return engine.api.inspect_image(name)
        except DockerException:  # not there (BuildKit may keep it in its own store), or unreadable
            return None

    found = platform.findings(df, inspect, platform.engine_platform(engine.version), selection)
    if found:
        result.findings.extend(found)
        result.findings.sort(key=Finding.sort_key)


def _is_podman(engine) -> bool:
    """Podman's API speaks the classic stream (its own words) but has no BuildKit endpoint."""
    return any(c.get("Name") == "Podman Engine" for c in engine.version.get("Components") or [])


def _measure(engine, df: Dockerfile, options: AnalyseOptions, outcome: BuildOutcome,
             result: AnalysisResult) -> list[dict]:
    """Steps, sizes and image summary into `result`; returns the image's history rows for the waste replay."""
    from dlint.analyse import layers

    result.steps = outcome.steps
    result.error = outcome.error
    result.log_tail = outcome.log_tail
    history = _sizes(engine, df, options, outcome)
    if outcome.image_id:
        result.image = layers.image_summary(engine.api, outcome.image_id)
    return history


def _sizes(engine, df: Dockerfile, options: AnalyseOptions, outcome: BuildOutcome) -> list[dict]:
    """Fill the steps' sizes; returns the built image's history rows (newest first; none without an image)."""
    from dlint.analyse import layers

    history = list(engine.api.history(outcome.image_id)) if outcome.image_id else []
    if options.builder in ("classic", PODMAN):
        layers.classic_sizes(engine.api, df, outcome.steps, history, rowless_empty=options.builder == PODMAN)
    elif history and df.stages:
        layers.buildkit_sizes(df, outcome.steps, history, final_stage(df, options))
    return history


def final_stage(df: Dockerfile, options: AnalyseOptions) -> Stage:
    """The stage the image is: the target, or the last (prepare() checked both exist)."""
    stage = stage_named(df, options.target) if options.target else df.stages[-1]
    assert stage is not None
    return stage


def _waste(engine, df: Dockerfile, options: AnalyseOptions, history: list[dict], result: AnalysisResult) -> None:
    """Replay the image's layers from its save stream (or the layer cache), while the image still exists: waste,
    and each step's and the image's cache-directory bytes, from the layers as for --archive and --image, whichever
    builder ran (contents.py)."""
    from dlint.analyse import contents, layercache, layers, saved, waste

    assert result.image is not None  # _measure read it: the build produced an image
    image_id = result.image.id
    owners = layers.row_owners(df, result.steps, history, final_stage(df, options), options.builder)
    try:
        image = layercache.engine_image(engine.api, image_id, "the engine's save stream")
    except saved.SaveError as exc:
        result.waste_error = str(exc)
        return
    result.layers_from = image.source
    replayed = waste.replay(image.layers)
    result.image_probes = contents.image_probes(replayed)
    result.waste = waste.measure(image, owners, replayed)
    contents.annotate(result.findings, contents.add_probes(result.waste.layer_steps, image.layers))


def apply_budgets(df: Dockerfile, options: AnalyseOptions, prepared: Prepared, result: AnalysisResult) -> None:
    """Budget verdicts over the steps whose layers make the image (the final stage and those it is built FROM)."""
    from dlint.analyse.budget import evaluate
    from dlint.analyse.layers import ancestry

    stages = {stage.name for stage in ancestry(df, final_stage(df, options))} if df.stages else set()
    image_steps = [s for s in result.steps if s.stage in stages]
    compressed = result.waste.compressed_size if result.waste else None
    result.gate = evaluate(prepared.budgets, result, image_steps, prepared.baseline, compressed)


def _verdict(result: AnalysisResult, err: TextIO) -> int:
    """One stderr line per failed budget (CI logs show it whatever the report formats), then the exit code."""
    gate = result.gate
    if gate is None or not gate.verdicts:
        return exitcodes.OK
    say(f"budgets: {gate.verdict_line()}", err)
    for verdict in gate.failed:
        say(f"--{verdict.budget}: {verdict.message}", err)
    return exitcodes.FINDINGS if gate.failed else exitcodes.OK


def _cache_probe(engine, df: Dockerfile, options: AnalyseOptions, prepared: Prepared, result: AnalysisResult,
                 build: Callable[[BuildRequest, Tracker], BuildOutcome], err: TextIO) -> None:
    """--cache-probe, while the images exist."""
    from dlint.analyse.engine import Tracker

    if not prepared.probe_targets:
        return
    try:
        # What the probe rebuilds make goes at the end: dlint added it, the analysed build did not.
        rebuilt = Tracker.start(engine, keep_images=False)

        def rebuild(req: BuildRequest) -> BuildOutcome:
            outcome = build(req, rebuilt)
            _sizes(engine, df, options, outcome)
            return outcome

        try:
            result.cache_probe = probe(prepared.request, df, prepared.probe_targets, rebuild)
        finally:
            for problem in rebuilt.clean():
                say(problem, err)
    except CacheProbeError as exc:
        raise _Stopped(str(exc), exitcodes.USAGE) from None


def tie_findings(result: AnalysisResult) -> None:
    """Tie each finding to the step its instruction built, so reports can show what it cost."""
    for finding in result.findings:
        step = result.step_at_line(finding.instruction_line)
        if step is not None and step.size is not None:
            finding.extra["step"] = step.index
            finding.extra["layer_bytes"] = step.size


def _fail(err: TextIO, message: str, code: int) -> int:
    say(message, err)
    return code
