"""A generated monorepo: peak memory of `dlint check .`, and discovery against `git ls-files`, in the same run.

    python bench/monorepo.py [--dockerfiles 100000] [--others 1000000] [--small] [--rounds 3] [--keep DIR]

The tree: `--dockerfiles` copies of the corpus's real files (each with a LABEL
line added, so no two are alike) spread over service directories, `--others`
other files (sources, configs), a `node_modules` and a git-ignored `build/`
directory, both full of Dockerfiles dlint must not lint, all in a `git init`
repository with a `.gitignore`. `--small` is 2,000 Dockerfiles and 20,000 others
(a quick run). Measured:
- peak RSS of `dlint check .` (default --jobs, text to /dev/null): the whole
  process tree, sampled from /proc every 20 ms, and the main process alone;
- discovery: dlint's own search (`discovery.discover`, .gitignore honoured) against
  `git ls-files --others --cached --exclude-standard`, alternating, `--rounds`
  times (median), as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import CORPUS, corpus_files  # bench/ is on sys.path when a script runs

OTHER_NAMES = ("main.go", "index.ts", "README.md", "config.yaml", "app.py", "Makefile", "package.json")


def generate(root: Path, dockerfiles: int, others: int) -> None:
    seeds = [Path(f).read_bytes() for f in corpus_files(CORPUS / "real")]
    per_dir = 50
    for i in range(dockerfiles):
        d = root / "services" / f"team{i // (per_dir * 20)}" / f"svc{i // per_dir}"
        d.mkdir(parents=True, exist_ok=True)
        name = "Dockerfile" if i % 3 else f"{i}.Dockerfile"
        (d / name).write_bytes(seeds[i % len(seeds)] + f"\nLABEL copy={i}\n".encode())
    for i in range(others):
        d = root / "src" / f"pkg{i // 2000}" / f"mod{i // 100}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{i}-{OTHER_NAMES[i % len(OTHER_NAMES)]}").write_text(f"// file {i}\n", encoding="utf-8")
    for skipped in ("node_modules", "build"):
        for i in range(max(10, dockerfiles // 20)):
            d = root / skipped / f"dep{i // 50}" / f"p{i}"
            d.mkdir(parents=True, exist_ok=True)
            (d / "Dockerfile").write_bytes(seeds[i % len(seeds)])
            (d / "index.js").write_text("module.exports = 1\n", encoding="utf-8")
    (root / ".gitignore").write_text("build/\nnode_modules/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def tree_rss(pid: int) -> int:
    """KB resident in `pid` and every descendant now."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            todo += children(p)
        except OSError:
            continue
    return total


def peak_rss(cmd: list[str], cwd: Path) -> tuple[int, int, float, int]:
    """(peak KB of the process tree, peak KB of the main process, seconds, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = main_peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        main_peak = max(main_peak, tree_rss(proc.pid) - sum(tree_rss(c) for c in children(proc.pid)))
        time.sleep(0.02)
    return peak, main_peak, time.perf_counter() - start, proc.returncode


def children(pid: int) -> list[int]:
    try:
        return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except OSError:
        return []


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dockerfiles", type=int, default=100_000)
    ap.add_argument("--others", type=int, default=1_000_000)
    ap.add_argument("--small", action="store_true", help="2,000 Dockerfiles and 20,000 other files")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this directory and keep it")
    args = ap.parse_args()
    if args.small:
        args.dockerfiles, args.others = 2_000, 20_000
    if not (CORPUS / "real").is_dir():
        sys.exit(f"corpus not found: {CORPUS / 'real'}")
    with tempfile.TemporaryDirectory(prefix="dlint-monorepo-") as tmp:
        root = args.keep or Path(tmp) / "repo"
        if not (root / ".git").is_dir():
            t = time.perf_counter()
            generate(root, args.dockerfiles, args.others)
            print(f"generated {args.dockerfiles} Dockerfiles + {args.others} other files in {time.perf_counter() - t:.0f} s")
        dlint = [sys.executable, "-m", "dlint"]
        peak, single, seconds, rc = peak_rss([*dlint, "check", "."], root)
        print(f"`dlint check .`: exit {rc}, {seconds:.1f} s, peak RSS {peak / 1024:.0f} MB for the process tree "
              f"(workers included), {single / 1024:.0f} MB for the main process")
        env_path = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))
        os.environ["PYTHONPATH"] = env_path
        ours = [sys.executable, "-c", "from dlint.lint.discovery import discover\nfor _ in discover('.', True): pass"]
        git = ["git", "ls-files", "--others", "--cached", "--exclude-standard"]
        times: dict[str, list[float]] = {"dlint discovery": [], "git ls-files": []}
        for _ in range(args.rounds):
            times["dlint discovery"].append(timed(ours, root))
            times["git ls-files"].append(timed(git, root))
        d, g = (statistics.median(times[k]) for k in ("dlint discovery", "git ls-files"))
        print(f"discovery: dlint {d:.2f} s, git ls-files {g:.2f} s (medians of {args.rounds}, alternating): {d / g:.2f}x")


if __name__ == "__main__":
    main()
