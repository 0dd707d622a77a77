"""Lints a list of paths: reading, parsing and rule errors stay per file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from dlint.lint import shellcheck
from dlint.lint.config import Flags, Resolver
from dlint.lint.discovery import discover
from dlint.lint.engine import RuleCrash, Selection, lint
from dlint.lint.finding import Finding, Level
from dlint.model import Dockerfile
from dlint.parsing.dockerfile import parse
from dlint.parsing.source import MAX_FILE_SIZE, SourceError, decode_source, has_bom, read_bytes

if TYPE_CHECKING:  # the fixer is imported only when --fix or --diff asks for it
    from dlint.lint.fix import FileFix, FixMode


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)  # inline-suppressed ones included, marked
    error: str | None = None  # the file could not be read: a one-line reason
    crashes: list[RuleCrash] = field(default_factory=list)
    threshold: Level | None = Level.STYLE  # from the file's config; None: findings never fail
    fix: FileFix | None = None  # --fix/--diff: what fixing did; findings are then those left
    warnings: list[str] = field(default_factory=list)  # the check ran, less than asked (no shellcheck)

    @property
    def fails(self) -> bool:
        """A finding that is not suppressed reaches the failure threshold."""
        t = self.threshold
        return t is not None and any(f.level >= t for f in self.findings if not f.suppressed)


def check_file(
    path: str,
    selection: Selection,
    threshold: Level | None = Level.STYLE,
    fix: FixMode | None = None,
    max_size: int = MAX_FILE_SIZE,
) -> FileResult:
    try:
        data = read_bytes(path, max_size)
        text = decode_source(data, path)
    except SourceError as exc:
        return FileResult(path, error=str(exc), threshold=threshold)
    warnings = [shellcheck.MISSING] if selection.shellcheck and shellcheck.binary() is None else []
    if selection.targets:
        warnings += target_warnings(parse(text, path), selection.targets)
    if fix is not None:
        from dlint.lint.fix import fix_file

        result, findings, crashes = fix_file(path, text, selection, fix)
        if has_bom(data):  # stdin's fixed text goes back out whole, and `--diff` shows the BOM `--fix` keeps
            result = replace(result, original="\ufeff" + result.original, text="\ufeff" + result.text)
        return FileResult(path, findings, crashes=crashes, threshold=threshold, fix=result, warnings=warnings)
    findings, crashes = lint(parse(text, path), selection)
    return FileResult(path, findings, crashes=crashes, threshold=threshold, warnings=warnings)


def target_warnings(df: Dockerfile, targets: tuple[str, ...]) -> list[str]:
    """One line per `targets`/`--target` name that is no stage of the file, naming the stages there are."""
    unknown = df.unknown_targets(targets)
    stages = ", ".join(stage.name for stage in df.stages) or "none"
    fallback = "; none is, so every stage no later stage uses ships" if len(unknown) == len(targets) else ""
    return [f'{df.path}: target stage "{name}" could not be found (stages: {stages}){fallback}' for name in unknown]


def check_paths(paths: list[str], flags: Flags | None = None, fix: FixMode | None = None) -> list[FileResult]:
    """Every config is resolved (and may raise ConfigError) before the first file is linted."""
    resolver = Resolver(flags)
    unreadable: list[tuple[str, str]] = []  # directories that could not be listed: each an unreadable input (exit 2)
    targets = [(p, resolver.settings_for(p)) for p in _targets(paths, resolver, resolver.flags.gitignore, unreadable)]
    results = [check_file(p, s.selection, s.threshold, fix, resolver.flags.max_file_size) for p, s in targets]
    return results + [FileResult(d, error=f"{d}: cannot read directory: {why}") for d, why in unreadable]


def _targets(paths: list[str], resolver: Resolver, gitignore: bool, unreadable: list[tuple[str, str]]) -> list[str]:
    """Named files always; files found in a directory unless their config's `exclude` matches.

    Each file once, however often it is named or found (`dlint check . Dockerfile`,
    `- -`): a second read of stdin is empty, and a repeat would double its findings.
    """
    out: dict[str, str] = {}  # normalised path -> path as first given
    for arg in paths:
        if arg == "-" or not os.path.isdir(arg):
            out.setdefault(arg if arg == "-" else os.path.normpath(arg), arg)
            continue
        for found in discover(arg, gitignore, unreadable):
            cfg = resolver.config_for(found)
            if not cfg.exclude or not cfg.matches(found, cfg.exclude):
                out.setdefault(os.path.normpath(found), found)
    return list(out.values())
