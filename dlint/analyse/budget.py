"""Budgets and baselines: the gate a CI job puts on image size, layer count, growth and cache use.

Every budget is checked against the figures the analysis measured and gives a
verdict with a one-line reason that names the step responsible, so a failing
pull request says what to look at. Sizes are uncompressed bytes (what
`docker images` shows); a limit keeps the unit family it was written in.

A baseline is an earlier run's JSON report. Its steps are paired with this
run's by stage and instruction text, not by position: inserting a line must
not make every later step look changed. When the same instruction appears
twice in a stage, the k-th occurrence pairs with the k-th.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from dlint.analyse.steps import AnalysisResult, StepRecord
from dlint.analyse.units import NUMBER, Size, SizeError, parse_size, scaled, size_text
from dlint.parsing.numbers import MAX_DIGITS, non_negative_int
from dlint.parsing.source import SourceError, read_bytes

PERCENT = re.compile(r"^\s*" + NUMBER + r"\s*%\s*$", re.ASCII)
MAX_BASELINE = 64 << 20  # bytes: a report of thousands of steps and waste entries is a few MB


class BudgetError(Exception):
    """A budget option or baseline file that cannot be used: one line, exit 2, before anything is built."""


# --- options ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Growth:
    """`--max-growth`: a size, or a percentage of the baseline image's size (for the total and for each step)."""

    text: str
    size: Size | None = None
    percent: float | None = None

    def limit(self, baseline_total: int) -> int:
        if self.size is not None:
            return self.size.bytes
        return int(baseline_total * (self.percent or 0.0) / 100)

    def show(self, n: int) -> str:
        return self.size.show(n) if self.size is not None else size_text(n)

    def describe(self, baseline_total: int) -> str:
        if self.size is not None:
            return self.size.text
        return f"{self.text} of the baseline's {size_text(baseline_total)} = {size_text(self.limit(baseline_total))}"


@dataclass(frozen=True, slots=True)
class Budgets:
    """The size and cache gates the options ask for; a None one is not checked."""

    max_size: Size | None = None
    max_layers: int | None = None
    max_step_size: Size | None = None
    max_growth: Growth | None = None
    min_cache_hit_rate: float | None = None


def parse_budgets(max_size: str | None = None, max_layers: int | None = None, max_step_size: str | None = None,
                  max_growth: str | None = None, min_cache_hit_rate: float | None = None,
                  baseline: str | None = None) -> Budgets:
    if max_growth is not None and baseline is None:
        raise BudgetError("--max-growth needs --baseline FILE (a JSON report saved with --save-baseline)")
    if max_layers is not None and max_layers < 1:
        raise BudgetError(f"--max-layers {max_layers}: expected a positive number of layers")
    if min_cache_hit_rate is not None and not 0 <= min_cache_hit_rate <= 1:
        raise BudgetError(f"--min-cache-hit-rate {min_cache_hit_rate}: expected a fraction between 0 and 1, e.g. 0.8")
    return Budgets(
        max_size=_size("--max-size", max_size),
        max_layers=max_layers,
        max_step_size=_size("--max-step-size", max_step_size),
        max_growth=_growth(max_growth),
        min_cache_hit_rate=min_cache_hit_rate,
    )


def _size(option: str, text: str | None) -> Size | None:
    if text is None:
        return None
    try:
        return parse_size(text)
    except SizeError as exc:
        raise BudgetError(f"{option} {exc}") from None


def _growth(text: str | None) -> Growth | None:
    if text is None:
        return None
    if m := PERCENT.match(text):
        percent = scaled(m[1])
        if percent is None:
            raise BudgetError(f"--max-growth {text[:40]!r}...: more growth than any image is capable of")
        return Growth(f"{m[1]}%", percent=percent)
    try:
        size = parse_size(text)
    except SizeError:
        raise BudgetError(f"--max-growth {text!r}: expected a percentage (5%) or a size (20MB, 20MiB, bytes)") from None
    return Growth(size.text, size=size)


# --- baselines ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaselineStep:
    """A step of an earlier run's report, matched to this run's by stage and instruction."""

    stage: str
    instruction: str
    line: int
    size: int | None


@dataclass(frozen=True, slots=True)
class Baseline:
    """An earlier run's JSON report, read as untrusted input: what --max-growth compares with."""

    path: str
    image_size: int
    steps: tuple[BaselineStep, ...]


def load_baseline(path: str) -> Baseline:
    """A JSON report of an earlier run; anything else is an error, never an empty baseline that passes."""
    if not path:  # `--baseline ""` (an unset CI variable) was taken for no --baseline: --max-growth then crashed
        raise BudgetError("--baseline '': an empty path names no file")
    if not os.path.lexists(path):
        raise BudgetError(f"baseline {path}: no such file (write one with --save-baseline {path})")
    try:  # a regular file only (a FIFO or /dev/zero would hang or fill memory), of a report's size at most
        text = read_bytes(path, MAX_BASELINE, "baseline", "the limit for a baseline").decode("utf-8")
    except SourceError as exc:
        raise BudgetError(f"baseline {exc}") from None
    except UnicodeDecodeError as exc:
        raise BudgetError(f"baseline {path}: cannot read it ({exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BudgetError(f"baseline {path} is not JSON ({exc}); expected a report from --save-baseline") from None
    except RecursionError:
        raise BudgetError(f"baseline {path} is nested deeper than any report: not a report from --save-baseline") from None
    image = data.get("image") if isinstance(data, dict) else None
    size = image.get("size") if isinstance(image, dict) else None
    if not _byte_count(size):
        raise BudgetError(f"baseline {path} has no image.size: not a `dlint analyse` JSON report of a successful build")
    rows = data.get("steps")
    if not isinstance(rows, list):
        raise BudgetError(f"baseline {path} has no steps[] list: not a `dlint analyse` JSON report")
    steps = []
    for n, row in enumerate(rows):
        if not (isinstance(row, dict) and isinstance(row.get("stage"), str) and isinstance(row.get("instruction"), str)
                and _byte_count(row.get("line")) and (row.get("size") is None or _byte_count(row.get("size")))):
            raise BudgetError(f"baseline {path}: steps[{n}] needs stage, instruction, line and size")
        steps.append(BaselineStep(row["stage"], row["instruction"], row["line"], row["size"]))
    return Baseline(path, size, tuple(steps))


def _byte_count(value: object) -> bool:
    """A size a report can hold: a count of bytes short of 10^MAX_DIGITS (reports show sizes as floats, which
    a 4,000-digit one overflows). A step's line number is one too: `true` was taken for line 1 and shown as
    `line True of the baseline`."""
    return non_negative_int(value) and value < 10**MAX_DIGITS  # type: ignore[operator]


@dataclass(slots=True)
class StepChange:
    """One step's bytes before and after, for the report's growth table."""

    step: StepRecord | None  # None: the step is gone
    base: BaselineStep | None  # None: the step is new
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before

    @property
    def label(self) -> str:
        if self.step is not None:
            return f"line {self.step.line} {self.step.instruction}"
        assert self.base is not None
        return f"{self.base.instruction} (line {self.base.line} of the baseline)"

    def to_dict(self) -> dict:
        source = self.step or self.base
        assert source is not None
        return {
            "stage": source.stage,
            "instruction": source.instruction,
            "line": self.step.line if self.step else None,
            "baseline_line": self.base.line if self.base else None,
            "before": self.before if self.base else None,
            "after": self.after if self.step else None,
            "change": self.change,
        }


@dataclass(slots=True)
class Comparison:
    """This run against its baseline, step by step, so growth names the step that grew."""

    path: str
    before: int
    after: int
    steps: list[StepChange]  # this run's order, then the steps that are gone
    _by_step: dict[int, StepChange] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def change(self) -> int:
        return self.after - self.before

    def of(self, step: StepRecord) -> StepChange | None:
        """The change of one of this run's steps; all are indexed at the first call: each report row asks,
        and a search per row took 4 s to render 20,000 steps as JSON."""
        if self._by_step is None:
            self._by_step = {}
            for change in self.steps:
                if change.step is not None:
                    self._by_step.setdefault(id(change.step), change)
        return self._by_step.get(id(step))

    def to_dict(self) -> dict:
        return {"file": self.path, "before": self.before, "after": self.after, "change": self.change,
                "steps": [c.to_dict() for c in self.steps if c.change]}


def compare(baseline: Baseline, image_size: int, steps: Sequence[StepRecord]) -> Comparison:
    """Pair the image's steps with the baseline's by (stage, instruction, occurrence)."""
    stages = {s.stage for s in steps}
    waiting: dict[tuple[str, str], deque[BaselineStep]] = defaultdict(deque)  # popped from the left: a list was quadratic
    for old in baseline.steps:
        if old.stage in stages:
            waiting[(old.stage, old.instruction)].append(old)
    changes = []
    for step in steps:
        if step.size is None:
            continue
        queue = waiting.get((step.stage, step.instruction))
        old = queue.popleft() if queue else None
        if old is not None and old.size is None:
            continue  # the baseline could not measure it: no claim either way
        changes.append(StepChange(step, old, old.size if old and old.size is not None else 0, step.size))
    gone = [old for queue in waiting.values() for old in queue if old.size]
    changes += [StepChange(None, old, old.size or 0, 0) for old in sorted(gone, key=lambda o: o.line)]
    return Comparison(baseline.path, baseline.image_size, image_size, changes)


# --- cache ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Cache hits over the steps that could hit, and the first miss: where the cache broke."""

    hits: int
    steps: int  # steps that could come from the cache: FROM and global ARGs run nothing
    first_miss: StepRecord | None
    unknown: int = 0  # steps whose cache state nothing reported (an image built elsewhere, no build log)

    @property
    def rate(self) -> float | None:
        return self.hits / self.steps if self.steps else None

    def to_dict(self) -> dict:
        miss = self.first_miss
        return {"hits": self.hits, "steps": self.steps,
                "hit_rate": round(self.rate, 4) if self.rate is not None else None,
                "first_miss_line": miss.line if miss else None,
                "first_miss_instruction": miss.instruction if miss else None}

    def describe(self) -> str:
        if self.rate is None:
            return "cache state unknown: the image was built elsewhere" if self.unknown else \
                "no step could come from the cache"
        text = f"{self.hits} of {self.steps} steps from the cache ({self.rate:.0%})"
        return text + (f"; first miss: line {self.first_miss.line} {self.first_miss.instruction}"
                       if self.first_miss else "")


def cache_stats(steps: Sequence[StepRecord]) -> CacheStats:
    runnable = [s for s in steps if s.keyword != "FROM" and s.stage != "global" and not s.failed]
    known = [s for s in runnable if s.cached is not None]
    misses = [s for s in known if not s.cached]
    return CacheStats(len(known) - len(misses), len(known), misses[0] if misses else None, len(runnable) - len(known))


# --- verdicts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """One budget's outcome, worded for a CI log."""

    budget: str  # the option: "max-size"
    limit: str  # as written, with its unit explained
    measured: str
    passed: bool | None  # None: not checked (the build failed)
    message: str  # one line; names the step responsible when one is
    details: tuple[str, ...] = ()  # every step over its limit, when more than one

    def to_dict(self) -> dict:
        return {"budget": self.budget, "limit": self.limit, "measured": self.measured, "passed": self.passed,
                "message": self.message, "details": list(self.details)}


@dataclass
class Gate:
    """What the budgets said about this run, with the figures the reports show beside them."""

    cache: CacheStats
    image_steps: list[StepRecord]  # the steps whose layers make the image
    verdicts: list[Verdict] = field(default_factory=list)
    comparison: Comparison | None = None

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.passed is False]

    def biggest(self, n: int = 5) -> list[StepRecord]:
        sized = [s for s in self.image_steps if s.size]
        return sorted(sized, key=lambda s: -(s.size or 0))[:n]

    def verdict_line(self) -> str:
        if not self.verdicts:
            return "no budgets set"
        failed = self.failed
        if failed:
            return f"FAIL: {len(failed)} of {len(self.verdicts)} budgets failed"
        if any(v.passed is None for v in self.verdicts):
            return "NOT CHECKED: the build failed"
        return f"PASS: all {len(self.verdicts)} budgets met"


def evaluate(budgets: Budgets, result: AnalysisResult, image_steps: list[StepRecord],
             baseline: Baseline | None, compressed_size: int | None = None) -> Gate:
    gate = Gate(cache=cache_stats(result.steps), image_steps=image_steps)
    image = result.image
    if baseline is not None and image is not None:
        gate.comparison = compare(baseline, image.size, image_steps)
    checks = [
        ("max-size", budgets.max_size, lambda: _max_size(budgets.max_size, image.size, image_steps, compressed_size)),
        ("max-layers", budgets.max_layers, lambda: _max_layers(budgets.max_layers, image.layers, image_steps)),
        ("max-step-size", budgets.max_step_size, lambda: _max_step_size(budgets.max_step_size, image_steps)),
        ("max-growth", budgets.max_growth, lambda: _max_growth(budgets.max_growth, gate.comparison)),
        ("min-cache-hit-rate", budgets.min_cache_hit_rate, lambda: _cache(budgets.min_cache_hit_rate, gate.cache)),
    ]
    for name, limit, check in checks:
        if limit is None:
            continue
        if image is None:
            shown = limit.describe() if isinstance(limit, Size) else getattr(limit, "text", str(limit))
            gate.verdicts.append(Verdict(name, shown, "-", None, f"--{name} not checked: the build made no image"))
        else:
            gate.verdicts.append(check())
    return gate


def _max_size(limit: Size, size: int, steps: list[StepRecord], compressed: int | None) -> Verdict:
    packed = f"compressed {limit.show(compressed)}" if compressed is not None else "compressed size not available"
    measured = f"{limit.show(size)} uncompressed ({packed})"
    if size <= limit.bytes:
        return Verdict("max-size", limit.describe(), measured, True, f"image {measured} is within {limit.text}")
    biggest = max((s for s in steps if s.size), key=lambda s: s.size or 0, default=None)
    blame = (f"; biggest step: line {biggest.line} {biggest.instruction} ({limit.show(biggest.size or 0)})"
             if biggest else "")
    return Verdict("max-size", limit.describe(), measured, False,
                   f"image is {limit.show(size)} uncompressed, over --max-size {limit.text} "
                   f"by {limit.show(size - limit.bytes)}{blame}")


def _max_layers(limit: int, layers: int, steps: list[StepRecord]) -> Verdict:
    measured = f"{layers} layers"
    if layers <= limit:
        return Verdict("max-layers", str(limit), measured, True, f"{layers} layers, limit {limit}")
    runs = [s for s in steps if s.keyword == "RUN"]
    hint = f"; {len(runs)} of them are RUN steps that could be merged" if len(runs) > 1 else ""
    return Verdict("max-layers", str(limit), measured, False,
                   f"image has {layers} layers, over --max-layers {limit}{hint}")


def _max_step_size(limit: Size, steps: list[StepRecord]) -> Verdict:
    over = sorted((s for s in steps if s.keyword != "FROM" and (s.size or 0) > limit.bytes),
                  key=lambda s: -(s.size or 0))
    largest = max((s.size or 0 for s in steps if s.keyword != "FROM"), default=0)
    details = tuple(f"line {s.line} {s.instruction} adds {limit.show(s.size or 0)}, limit {limit.text}" for s in over)
    if not over:
        return Verdict("max-step-size", limit.describe(), f"largest step {limit.show(largest)}", True,
                       f"every step is within {limit.text} (largest {limit.show(largest)})")
    more = f" (and {len(over) - 1} more)" if len(over) > 1 else ""
    return Verdict("max-step-size", limit.describe(), f"largest step {limit.show(largest)}", False,
                   details[0] + more, details)


def _max_growth(growth: Growth, comparison: Comparison | None) -> Verdict:
    assert comparison is not None  # --max-growth needs --baseline, and the image exists
    allowed = growth.limit(comparison.before)
    shown = growth.describe(comparison.before)
    measured = (f"{_signed(growth.show, comparison.change)} ({growth.show(comparison.before)} → "
                f"{growth.show(comparison.after)})")
    total = (f"the image grew by {growth.show(comparison.change)} (from {growth.show(comparison.before)} "
             f"to {growth.show(comparison.after)}), limit {shown}") if comparison.change > allowed else None
    steps = []
    for c in sorted(comparison.steps, key=lambda c: -c.change):
        if c.change <= allowed:
            break
        verb = f"is new and adds {growth.show(c.after)}" if c.base is None else f"grew by {growth.show(c.change)}"
        steps.append(f"{c.label} {verb}, limit {shown}")
    if total is None and not steps:
        return Verdict("max-growth", shown, measured, True, f"growth {measured} is within {shown}")
    # The step is what someone can act on: name it first.
    message = steps[0] if steps else total
    assert message is not None
    if len(steps) > 1:
        message += f" (and {len(steps) - 1} more step{'s' * (len(steps) > 2)})"
    if steps and total:
        message += f"; in total the image grew by {growth.show(comparison.change)}"
    return Verdict("max-growth", shown, measured, False, message, tuple(steps + ([total] if total else [])))


def _cache(minimum: float, cache: CacheStats) -> Verdict:
    measured = f"{cache.rate:.2f}" if cache.rate is not None else "-"
    if cache.rate is None or cache.rate >= minimum:
        return Verdict("min-cache-hit-rate", f"{minimum:g}", measured, True, cache.describe())
    assert cache.first_miss is not None
    return Verdict("min-cache-hit-rate", f"{minimum:g}", measured, False,
                   f"cache hit rate {cache.rate:.2f} ({cache.hits} of {cache.steps} steps) is below {minimum:g}; "
                   f"first miss: line {cache.first_miss.line} {cache.first_miss.instruction}")


def _signed(show, n: int) -> str:
    return ("+" if n >= 0 else "-") + show(abs(n))
