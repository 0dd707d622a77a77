"""Lint each hostile shape (bench/shapes.py) at n and 4n and print the time ratio.

    python bench/scaling.py [--scale 1.0] [--timeout 60] [--only TEXT]

Linear time gives a ratio near 4, n log n a little over; a ratio over 6 is a
defect. Each measurement runs in its own process (a blow-up is cut off at
--timeout and shown as such) and times only parsing and linting, best of three;
a .gitignore shape times the directory search (discovery) of its git work tree.
The 64 KiB limit on one RUN's script is lifted (shapes.NO_SIZE_LIMIT): what is measured
is the shell walk, not the limit.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shapes import NO_SIZE_LIMIT, SHAPES, is_tree, write  # noqa: E402

LIMIT = 6.0


def lint_time(name: str, n: int) -> float:
    """Seconds to parse and lint (and fix, for --fix shapes) one generated file, best of three."""
    import tomllib

    from dlint.lint.discovery import discover
    from dlint.lint.engine import Selection, default_codes, lint
    from dlint.lint.fix import fix_text
    from dlint.parsing.dockerfile import parse

    selection = Selection(default_codes(), options=tomllib.loads(NO_SIZE_LIMIT)["rules"])

    make, _, fixing = SHAPES[name]
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        made = make(n)
        path = str(write(made, Path(tmp)))  # a context too: .dockerignore is read next to the file
        text = Path(path).read_text(encoding="utf-8")
        for _ in range(3):
            start = time.perf_counter()
            if is_tree(made):
                discover(tmp)
            elif fixing:
                fix_text(text, path, selection)
            else:
                lint(parse(text, path), selection)
            best = min(best, time.perf_counter() - start)
    return best


def measure(name: str, n: int, timeout: float) -> float | None:
    """None: the run hung past the timeout or crashed (a traceback is printed)."""
    cmd = [sys.executable, __file__, "--one", name, str(n)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if run.returncode:
        print(run.stderr.strip().splitlines()[-1], file=sys.stderr)
        return None
    return float(run.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every shape's base n")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--only", default="", help="only the shapes whose name holds this text")
    ap.add_argument("--one", nargs=2, metavar=("SHAPE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(lint_time(args.one[0], int(args.one[1])))
        return
    print(f"{'shape':32} {'n':>8} {'t(n) s':>9} {'t(4n) s':>9} {'ratio':>6}")
    bad = 0
    for name, (_, base, _) in SHAPES.items():
        if args.only not in name:
            continue
        n = max(1, int(base * args.scale))
        small, large = measure(name, n, args.timeout), measure(name, 4 * n, args.timeout)
        if small is None or large is None:
            bad += 1
            print(f"{name:32} {n:>8} {small or float('nan'):>9.3f} {'-':>9}   FAILED (hang or crash)")
            continue
        r = large / max(small, 1e-6)
        bad += r > LIMIT
        print(f"{name:32} {n:>8} {small:>9.3f} {large:>9.3f} {r:>6.1f}{'  DEFECT' if r > LIMIT else ''}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
