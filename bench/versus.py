"""Lint time per file of this tree against another checkout of dlint, on the real-world corpus.

    python bench/versus.py OTHER_TREE [--tree .] [--corpus ../shared/corpus/real] [--rounds 7] [--passes 3]

Each round lints the whole corpus once in a fresh process per tree (PYTHONPATH=tree), the
trees alternating and the order flipped every round, so a machine that slows down mid-run
slows both alike. A process first lints the corpus once untimed (imports, compiled regular
expressions, caches), then times `--passes` more passes of `check_paths` over it and keeps
the fastest: reading, parsing and linting, no start-up and no report, in CPU time of the
process (other jobs on a shared machine count less than in wall time, and least in the
fastest pass). Prints each round's ratio and their median (tree / other: below
1.0 is faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from corpus import (  # bench/ is on sys.path when a script runs
    CORPUS,
    ROOT,
    corpus_files,
)

CHILD = """
import sys, time
from dlint.lint.runner import check_paths
check_paths(sys.argv[2:])
times = []
for _ in range(int(sys.argv[1])):
    start = time.process_time()
    check_paths(sys.argv[2:])
    times.append(time.process_time() - start)
print(min(times))
"""


def lint_time(tree: Path, files: list[str], passes: int) -> float:
    """Seconds the fastest of `passes` warm passes of `tree`'s dlint takes over the files, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(passes), *files], env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", type=Path)
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--corpus", type=Path, default=CORPUS / "real")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--passes", type=int, default=3, help="timed passes per process; the fastest counts")
    args = ap.parse_args()
    files = corpus_files(args.corpus)  # named one by one: most corpus names are no Dockerfile name discovery finds
    ratios = []
    for i in range(args.rounds):
        trees = [args.tree, args.other] if i % 2 == 0 else [args.other, args.tree]
        times = {tree: lint_time(tree, files, args.passes) for tree in trees}
        ratios.append(times[args.tree] / times[args.other])
        print(f"round {i + 1}: {times[args.tree]:.2f} s vs {times[args.other]:.2f} s, ratio {ratios[-1]:.3f}")
    print(f"{len(files)} files, median ratio {args.tree} / {args.other}: {statistics.median(ratios):.3f} ({args.rounds} rounds)")


if __name__ == "__main__":
    main()
