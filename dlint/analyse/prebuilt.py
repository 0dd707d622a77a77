"""Analysing an image dlint did not build, tied to a Dockerfile: an archive on disk (`--archive`) or an image in
the engine (`--image`, read through its `docker save` stream).

Both go through the same readers (saved, archive) and the same measurement
as a build: layer sizes, waste (waste.account) and cache-directory bytes
(contents.add_probes), with each layer tied to its line by history.map_layers.
What only a build knows (cache hits, seconds) stays unknown: the reports show
"?" there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from dlint import exitcodes
from dlint.analyse import history, layercache, waste
from dlint.analyse.archive import read_archive
from dlint.analyse.command import (
    AnalyseOptions,
    UsageError,
    Writer,
    apply_budgets,
    final_stage,
    prepare,
    report,
    tie_findings,
)
from dlint.analyse.contents import add_probes, annotate, image_probes
from dlint.analyse.layers import ancestry
from dlint.analyse.saved import SavedImage, SaveError
from dlint.analyse.steps import AnalysisResult, ImageSummary, StepRecord, join_log, step_for
from dlint.lint.finding import Finding
from dlint.model import Dockerfile, Stage
from dlint.output import say


def steps_of(df: Dockerfile, stage: Stage,
             saved: SavedImage) -> tuple[list[StepRecord], list[StepRecord | None], list[str]]:
    """The steps of the stage that ships (and those it is built FROM), sized from the layers tied to them.

    Returns the steps, the step of each layer (oldest first) and one notice
    per layer or line that could not be tied. A step with no history entry
    has no size (None), never a guessed one.
    """
    mapping = history.map_layers(saved.config, len(saved.layers), df, stage)
    chain = ancestry(df, stage)
    steps: dict[int, StepRecord] = {}
    for s in chain:
        for instr in s.instructions:
            step = step_for(df, instr)
            step.cached, step.seconds = None, None
            placed = instr.index in mapping.placed
            if instr is s.from_instruction:
                placed = mapping.base_reached if s is chain[0] else True  # an earlier stage's bytes are on its lines
            step.size = 0 if placed else None
            steps[instr.index] = step
    owners = [steps.get(instr.index) if instr is not None else None for instr in mapping.owners]
    for layer, step in zip(saved.layers, owners, strict=True):
        if step is not None:
            step.size = (step.size or 0) + layer.size
    add_probes(owners, saved.layers)
    return list(steps.values()), owners, mapping.notices


def analyse_saved(options: AnalyseOptions, df: Dockerfile, saved: SavedImage, source: str,
                  findings: list[Finding]) -> tuple[AnalysisResult, list[str]]:
    """The analysis a build would give, from the image's layers and config alone."""
    stage = final_stage(df, options)
    steps, owners, notices = steps_of(df, stage, saved)
    result = AnalysisResult(dockerfile=options.dockerfile, context="", builder=f"none (read from {source})",
                            steps=steps, findings=findings)
    result.layers_from = saved.source
    result.image = ImageSummary(id=saved.id or "unknown", size=sum(layer.size for layer in saved.layers),
                                layers=len(saved.layers))
    replayed = waste.replay(saved.layers)
    result.image_probes = image_probes(replayed)
    if options.waste:
        result.waste = waste.account(saved.layers, owners, replayed)
    annotate(result.findings, [s for s in steps if s.keyword == "RUN" and s.size is not None])
    tie_findings(result)
    return result, notices


def run(options: AnalyseOptions, read: Callable[[], SavedImage], source: str, write: Writer, err: TextIO,
        build_log: str | None = None) -> int:
    """`dlint analyse --archive|--image ... DOCKERFILE [--build-log LOG]`: `read()` gives the SavedImage
    (raising SaveError). The log is read first: a log of another Dockerfile is refused before the image is."""
    from dlint.analyse.buildlog import BuildLogError, read_build_log

    try:
        prepared = prepare(options)
        log = read_build_log(build_log, prepared.df, options.target) if build_log is not None else None
        saved = read()
    except (UsageError, SaveError, BuildLogError) as exc:
        say(str(exc), err)
        return exitcodes.USAGE
    try:
        result, notices = analyse_saved(options, prepared.df, saved, source, prepared.findings)
    except history.HistoryError as exc:
        say(f"{source}: {exc}", err)
        return exitcodes.USAGE
    for notice in notices:
        say(notice, err)
    if log is not None:
        result.steps = join_log(result.steps, log.steps)
        result.builder += f"; cache and seconds from its {log.format} build log"
    apply_budgets(prepared.df, options, prepared, result)
    code = report(options, result, write, err)
    failed = result.failed_step if log is not None else None
    if failed is not None and code == exitcodes.OK:
        say(f"the build log records a failed build at line {failed.line}: {failed.instruction}", err)
        return exitcodes.BUILD_FAILED
    return code


def open_input(archive: str | None, image: str | None) -> tuple[Callable[[], SavedImage], str]:
    """How to read the image asked for, and the name errors and reports give it."""
    if archive is not None:
        return (lambda: read_archive(archive, image)), f"the archive {archive}"
    assert image is not None
    return (lambda: from_engine(image)), f"the image {image}"


def from_engine(name: str) -> SavedImage:
    """An image in the engine, through its `docker save` stream (what waste accounting reads after a build)."""
    from docker.errors import DockerException, NotFound

    from dlint.analyse import engine as engine_mod

    try:
        engine = engine_mod.connect()
    except engine_mod.EngineUnreachable as exc:
        raise SaveError(str(exc)) from None
    try:
        image_id = engine.api.inspect_image(name)["Id"]  # the id keys the layer cache; no such image: NotFound
        saved = layercache.engine_image(engine.api, image_id, f"the engine's save stream of {name}")
    except NotFound:
        raise SaveError(f"the engine has no image {name}") from None
    except DockerException as exc:
        raise SaveError(f"the engine cannot save the image {name}: {exc}") from None
    return saved
