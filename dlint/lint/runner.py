"""Lints a list of paths one file at a time: reading, parsing and rule errors stay per file.

`plan` resolves every file's settings before any is linted (a bad config fails
the run before any output); `results` then yields one FileResult per file, in
order, holding nothing of the file once the caller moves on: the parsed model,
its context and its text are gone before the next file is read. A crash in the
parser or in a rule becomes a finding on that file (INTERNAL_ERROR), so one
file cannot cost the others their results. With jobs > 1 the files are linted
in worker processes (lint/parallel.py) and come back in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from dlint.lint.config import Flags, Resolver
from dlint.lint.discovery import discover
from dlint.lint.engine import RuleCrash, Selection, debug_traceback, lint
from dlint.lint.finding import Finding, Level
from dlint.lint.registry import SHELLCHECK
from dlint.model import Dockerfile
from dlint.output import clipped
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import (
    SourceError,
    decode_source,
    has_bom,
    read_bytes,
)

if TYPE_CHECKING:  # the fixer is imported only when --fix or --diff asks for it
    from dlint.lint.fix import FileFix, FixMode

INTERNAL_ERROR = "DL1002"
PARSER = "parser"  # RuleCrash.code of a crash outside any rule
WORKER = "worker"  # RuleCrash.code of a worker process that died on the file (lint/parallel.py)
MAX_ERROR_TEXT = 300  # characters of an exception's text kept in the finding's one line
PARALLEL_FROM = 33  # files: below this, worker processes cost more to start than they save


@dataclass
class FileResult:
    """Everything reporters need of one file, in the order files were given."""

    path: str
    findings: list[Finding] = field(default_factory=list)  # inline-suppressed ones included, marked
    error: str | None = None  # the file could not be read: a one-line reason
    crashes: list[RuleCrash] = field(default_factory=list)  # each also an INTERNAL_ERROR finding
    threshold: Level | None = Level.STYLE  # from the file's config; None: findings never fail
    fix: FileFix | None = None  # --fix/--diff: what fixing did; findings are then those left
    warnings: list[str] = field(default_factory=list)  # the check ran, less than asked (no shellcheck)

    @property
    def fails(self) -> bool:
        """A finding that is not suppressed reaches the failure threshold."""
        t = self.threshold
        return t is not None and any(f.level >= t for f in self.findings if not f.suppressed)


class Job(NamedTuple):
    """How one file is checked: everything a worker process needs besides the path."""

    selection: Selection
    threshold: Level | None
    fix: FixMode | None
    max_size: int


class Plan(NamedTuple):
    """Every file to check, each with the index of its Job in `jobs` (files sharing a config share one)."""

    files: list[tuple[str, int]]
    jobs: list[Job]
    unreadable: list[tuple[str, str]]  # directories that could not be listed, and why: each an unreadable input


def check_file(path: str, job: Job) -> FileResult:
    """One file's result; whatever the parser or a rule raises is caught here and reported on the file."""
    try:
        data = read_bytes(path, job.max_size)
        text = decode_source(data, path)
    except SourceError as exc:
        return FileResult(path, error=str(exc), threshold=job.threshold)
    warnings = _shellcheck_missing() if job.selection.shellcheck else []
    result = FileResult(path, threshold=job.threshold, warnings=warnings)
    try:
        if job.selection.targets:
            warnings += target_warnings(parse(text, path), job.selection.targets)
        if job.fix is None:
            result.findings, result.crashes = lint(parse(text, path), job.selection)
        else:
            from dlint.lint.fix import fix_file

            fixed, result.findings, result.crashes = fix_file(path, text, job.selection, job.fix)
            if has_bom(data):  # stdin's fixed text goes back out whole, and `--diff` shows the BOM `--fix` keeps
                fixed = replace(fixed, original="\ufeff" + fixed.original, text="\ufeff" + fixed.text)
            result.fix = fixed
    except Exception as exc:  # noqa: BLE001 - a dlint bug on one file must not end the run
        debug_traceback()
        result.findings, result.crashes = [], [RuleCrash(PARSER, error_text(exc))]
    result.findings = with_crashes(path, result.findings, result.crashes)
    return result


def with_crashes(path: str, findings: list[Finding], crashes: list[RuleCrash]) -> list[Finding]:
    """`findings` with each crash as its internal-error finding, in order (`findings` itself when none crashed):
    what `dlint check`, the language server and `dlint analyse` all report."""
    if not crashes:
        return findings
    return sorted(findings + [crash_finding(path, c) for c in crashes], key=Finding.sort_key)


def _shellcheck_missing() -> list[str]:
    from dlint.lint import shellcheck  # only when asked for: it runs a subprocess

    return [shellcheck.MISSING] if shellcheck.binary() is None else []


def error_text(exc: BaseException) -> str:
    """`Type: message`, as the engine words a rule's crash."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def crash_finding(path: str, crash: RuleCrash) -> Finding:
    """The crash as an error on the file's first line: every report carries it, none is lost on stderr.

    """
    return Finding(
        file=path, line=1, column=1, end_line=1, end_column=1, code=INTERNAL_ERROR, name="internal-error",
        level=Level.ERROR, message=f"internal error in {_where(crash)}: {short_error(crash.error)}", instruction_line=1,
        instruction_end_line=1,
    )


def crash_message(path: str, crash: RuleCrash) -> str:
    """The stderr line for a crash (a report may be a file nobody reads at once)."""
    return f"internal error in {_where(crash)} on {path}: {short_error(crash.error)}"


def _where(crash: RuleCrash) -> str:
    named = {PARSER: "the parser", WORKER: "the worker process", SHELLCHECK: SHELLCHECK}
    return named.get(crash.code, f"rule {crash.code}")


def short_error(error: str) -> str:
    """One line, cut short: an exception's text may quote a whole Dockerfile."""
    line = (error.splitlines() or [""])[0]
    return clipped(line, MAX_ERROR_TEXT, "...")


def plan(paths: list[str], flags: Flags | None = None, fix: FixMode | None = None) -> Plan:
    """Every config is resolved (and may raise ConfigError) before the first file is linted."""
    resolver = Resolver(flags)
    max_size = resolver.flags.max_file_size
    jobs: dict[tuple[int, Level | None], int] = {}  # (id of the selection, threshold) -> index in job_list
    job_list: list[Job] = []
    files = []
    unreadable: list[tuple[str, str]] = []
    for path in _targets(paths, resolver, resolver.flags.gitignore, unreadable):
        settings = resolver.settings_for(path)
        key = (id(settings.selection), settings.threshold)
        if key not in jobs:
            jobs[key] = len(job_list)
            job_list.append(Job(settings.selection, settings.threshold, fix, max_size))
        files.append((path, jobs[key]))
    return Plan(files, job_list, unreadable)


def default_jobs(files: int) -> int:
    """One process per CPU this process may use, once there are enough files to share."""
    if files < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cpus or 1)


def results(work: Plan, jobs: int | None = None) -> Iterator[FileResult]:
    """One FileResult per file, in the plan's order; `jobs` None: default_jobs."""
    jobs = default_jobs(len(work.files)) if jobs is None else jobs
    if jobs > 1 and len(work.files) > 1:
        from dlint.lint.parallel import check_in_workers

        yield from check_in_workers(work, min(jobs, len(work.files)))
    else:
        for path, index in work.files:
            yield check_file(path, work.jobs[index])
    for directory, why in work.unreadable:
        yield FileResult(directory, error=f"{directory}: cannot read directory: {why}")


def target_warnings(df: Dockerfile, targets: tuple[str, ...]) -> list[str]:
    """One line per `targets`/`--target` name that is no stage of the file, naming the stages there are."""
    unknown = df.unknown_targets(targets)
    stages = ", ".join(stage.name for stage in df.stages) or "none"
    fallback = "; none is, so every stage no later stage uses ships" if len(unknown) == len(targets) else ""
    return [f'{df.path}: target stage "{name}" could not be found (stages: {stages}){fallback}' for name in unknown]


def check_paths(paths: list[str], flags: Flags | None = None, fix: FixMode | None = None) -> list[FileResult]:
    """Every file's result at once, for callers that want them all (tests, the fix corpus)."""
    return list(results(plan(paths, flags, fix), jobs=1))


def _targets(paths: list[str], resolver: Resolver, gitignore: bool, unreadable: list[tuple[str, str]]) -> list[str]:
    """Named files always; files found in a directory unless their config's `exclude` matches.

    Each file once, however often it is named or found (`dlint check . Dockerfile`,
    `- -`): a second read of stdin is empty, and a repeat would double its findings.
    Sorted, as reports list findings by file.
    """
    out: dict[str, str] = {}  # normalised path ("" for stdin: `./-` is a file named `-`) -> path as first given
    for arg in paths:
        if arg == "-" or not os.path.isdir(arg):
            out.setdefault("" if arg == "-" else os.path.normpath(arg), arg)
            continue
        for found in discover(arg, gitignore, unreadable):
            if not resolver.excludes(found):
                out.setdefault(os.path.normpath(found), found)
    return sorted(out.values())
