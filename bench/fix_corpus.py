"""What `dlint check --fix` leaves of the core rules' findings on the real-world corpus.

    python bench/fix_corpus.py [--corpus ../shared/corpus/real] [--unsafe-fixes] [--show CODE]

Fixes run in memory with the default rule selection (nothing is written).
For each core rule: findings before, after, and why those after were left:
no fix offered (the rule could not be sure of one), only an unsafe fix (needs
--unsafe-fixes), or a fix that overlapped another until the pass bound. Also
counts files changed, fixes applied, files whose fixes were discarded by the
safety check (each such file is a dlint bug and is listed), and the time taken.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import CORPUS, corpus_files  # noqa: E402 - bench/ is on sys.path when a script runs

from dlint.lint.engine import Selection, lint  # noqa: E402 - after the path set-up
from dlint.lint.fix import fix_text  # noqa: E402
from dlint.parsing.dockerfile import parse  # noqa: E402
from dlint.parsing.source import SourceError, read_source  # noqa: E402

CORE = ("DLT001", "DL3009", "DLT002", "DLT003")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS / "real")
    ap.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes marked unsafe")
    ap.add_argument("--show", metavar="CODE", help="list the files where CODE findings remain")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    selection = Selection.default()
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    why: Counter[tuple[str, str]] = Counter()
    changed = fixed = unreadable = 0
    failures: list[str] = []
    shown: list[str] = []
    files = corpus_files(args.corpus)
    start = time.perf_counter()
    for path in files:
        try:
            text = read_source(path)
        except SourceError:
            unreadable += 1
            continue
        found, _ = lint(parse(text, path), selection)
        before.update(f.code for f in found if f.code in CORE and not f.suppressed)
        result, left, _ = fix_text(text, path, selection, args.unsafe_fixes)
        if result.error:
            failures.append(result.error)
        changed += result.changed
        fixed += result.fixed
        for f in left:
            if f.code in CORE and not f.suppressed:
                after[f.code] += 1
                reason = "no fix" if f.fix is None else "unsafe" if not (f.fix.safe or args.unsafe_fixes) else "overlap"
                why[f.code, reason] += 1
                if f.code == args.show:
                    shown.append(f"{path}:{f.line}: {reason}: {f.message}")
    elapsed = time.perf_counter() - start
    mode = "--fix --unsafe-fixes" if args.unsafe_fixes else "--fix"
    print(f"dlint check {mode} over {len(files)} files ({unreadable} unreadable) in {elapsed:.1f} s")
    print(f"files changed: {changed}; findings fixed (all rules): {fixed}; files left unchanged by the "
          f"safety check: {len(failures)}")
    print(f"{'rule':8} {'before':>7} {'after':>7} {'no fix':>7} {'unsafe':>7} {'overlap':>7}")
    for code in CORE:
        print(f"{code:8} {before[code]:7} {after[code]:7} {why[code, 'no fix']:7} {why[code, 'unsafe']:7} "
              f"{why[code, 'overlap']:7}")
    print(f"{'total':8} {sum(before.values()):7} {sum(after.values()):7}")
    for line in failures + shown:
        print(line)


if __name__ == "__main__":
    main()
