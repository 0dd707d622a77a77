"""Mutate corpus Dockerfiles and run the parser and every rule on each; count crashes.

    python bench/fuzz.py [--count 100000] [--seed 1] [--jobs 2]

The same mutations as the property test (tests/mutations.py), at volume. A
crash is any exception out of decoding, parsing or a rule; the first few are
printed with the seed that reproduces them.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mutations import mutate, seeds  # noqa: E402

from dlint.lint.engine import Selection, lint  # noqa: E402
from dlint.lint.registry import all_rules  # noqa: E402
from dlint.parsing.dockerfile import parse  # noqa: E402
from dlint.parsing.source import SourceError, decode_source  # noqa: E402


def run_one(seed: int, selection: Selection) -> str | None:
    """None when the input went through; otherwise a one-paragraph crash report."""
    data = mutate(random.Random(seed))
    try:
        try:
            text = decode_source(data, "fuzz")
        except SourceError:
            text = data.decode("utf-8", "replace")
        _, crashes = lint(parse(text, "fuzz"), selection)
    except Exception:  # noqa: BLE001 - counting crashes is the point
        return f"seed {seed}: {traceback.format_exc(limit=3)}"
    if crashes:
        return f"seed {seed}: rule {crashes[0].code}: {crashes[0].error}"
    return None


def run_range(start: int, count: int) -> tuple[int, list[str]]:
    selection = Selection(frozenset(all_rules()))
    failures = [r for seed in range(start, start + count) if (r := run_one(seed, selection))]
    return count, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1, help="first seed; input i uses seed+i")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not seeds():
        sys.exit("no seed files: ../shared/corpus is missing")
    chunk = max(args.count // (args.jobs * 20), 1)
    starts = range(args.seed, args.seed + args.count, chunk)
    started = time.perf_counter()
    ran, failures = 0, []
    with ProcessPoolExecutor(args.jobs) as pool:
        for n, fails in pool.map(run_range, starts, [min(chunk, args.seed + args.count - s) for s in starts]):
            ran += n
            failures += fails
    elapsed = time.perf_counter() - started
    print(f"ran {ran} inputs in {elapsed:.0f} s ({ran / elapsed:.0f}/s), crashed {len(failures)}")
    for f in failures[:5]:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
