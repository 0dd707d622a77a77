"""Lint time per file of this tree against another checkout of dlint, on the real-world corpus.

    python bench/versus.py OTHER_TREE [--tree .] [--corpus ../shared/corpus/real] [--rounds 30]
                           [--per-process 3] [--instructions]

One process per tree (PYTHONPATH=tree) lints the whole corpus once untimed (imports,
compiled regular expressions, caches); then each round asks both for one more pass, one
after the other, the order flipped every round, so the two passes of a round run a second
apart and a machine that slows down slows both alike. Both processes are started afresh
every `--per-process` rounds: a process's hash seed and memory layout make it faster or
slower by several percent for its whole life, so one pair of processes biases a whole run.
A pass is `check_paths` over every file: reading, parsing and linting, no start-up and no
report, timed in CPU time of the process (other jobs on a shared machine count less than in
wall time). Prints each round's ratio and their median (tree / other: below 1.0 is faster).

`--instructions` counts instead what one warm pass over every 4th file executes, under
valgrind's callgrind (a process of 3 passes less one of 1, halved): unlike times, counts
do not drift with the machine's load. It takes minutes per tree.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from corpus import (  # bench/ is on sys.path when a script runs
    CORPUS,
    ROOT,
    corpus_files,
)

WORKER = """
import sys, time
from dlint.lint.runner import check_paths
files = sys.stdin.readline().split("\\0")
check_paths(files)
print("ready", flush=True)
for _ in sys.stdin:
    start = time.process_time()
    check_paths(files)
    print(time.process_time() - start, flush=True)
"""


def _env(tree: Path) -> dict[str, str]:
    """`tree`'s dlint first on the path. The process also runs in `tree`: `python -c` puts its working
    directory before PYTHONPATH, so run from another checkout it would import that one's."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def worker(tree: Path, files: list[str]) -> subprocess.Popen[str]:
    """A process that has linted the files once with `tree`'s dlint and lints them again on each line it reads."""
    proc = subprocess.Popen([sys.executable, "-c", WORKER], cwd=tree, env=_env(tree), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    proc.stdin.write("\0".join(files) + "\n")
    proc.stdin.flush()
    return proc


def one_pass(proc: subprocess.Popen[str]) -> float:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


COUNTED = """
import sys
from dlint.lint.runner import check_paths
files = sys.stdin.read().split("\\0")[::4]
for _ in range(int(sys.argv[1])):
    check_paths(files)
"""


def instructions(tree: Path, files: list[str]) -> int:
    """Instructions one warm pass of `tree`'s dlint executes (start-up and the first pass cancel out)."""
    def count(passes: int) -> int:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", COUNTED,
             str(passes)], input="\0".join(files), cwd=tree, env=_env(tree),
            capture_output=True, text=True, check=True,
        )
        return int(re.search(r"Collected : (\d+)", proc.stderr).group(1))

    return (count(3) - count(1)) // 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    absolute = lambda p: Path(p).resolve()  # the workers run elsewhere
    ap.add_argument("other", type=absolute)
    ap.add_argument("--tree", type=absolute, default=ROOT)
    ap.add_argument("--corpus", type=absolute, default=CORPUS / "real")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--per-process", type=int, default=3, help="rounds before both workers are started afresh")
    ap.add_argument("--instructions", action="store_true", help="count instructions under callgrind instead")
    args = ap.parse_args()
    files = corpus_files(args.corpus)  # named one by one: most corpus names are no Dockerfile name discovery finds
    if args.instructions:
        counts = {tree: instructions(tree, files) for tree in (args.tree, args.other)}
        for tree, n in counts.items():
            print(f"{tree}: {n / 1e6:,.0f} million instructions per warm pass over {len(files[::4])} files")
        print(f"ratio {args.tree} / {args.other}: {counts[args.tree] / counts[args.other]:.3f}")
        return
    ratios = []
    for i in range(args.rounds):
        if i % args.per_process == 0:  # a fresh pair of processes: new hash seeds, new memory layouts
            procs = {tree: worker(tree, files) for tree in (args.tree, args.other)}
            for proc in procs.values():
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        trees = [args.tree, args.other] if i % 2 == 0 else [args.other, args.tree]
        times = {tree: one_pass(procs[tree]) for tree in trees}
        ratios.append(times[args.tree] / times[args.other])
        print(f"round {i + 1}: {times[args.tree]:.2f} s vs {times[args.other]:.2f} s, ratio {ratios[-1]:.3f}")
        if (i + 1) % args.per_process == 0 or i + 1 == args.rounds:
            for proc in procs.values():
                proc.communicate()
    print(f"{len(files)} files, median ratio {args.tree} / {args.other}: {statistics.median(ratios):.3f} "
          f"({args.rounds} rounds, {-(-args.rounds // args.per_process)} pairs of processes)")


if __name__ == "__main__":
    main()
