"""Agreement with hadolint 2.15.1 on the real-world corpus, per shared rule code.

    python bench/agreement.py [--corpus ../shared/corpus] [--code DL3008 ...] [--diff]

Shared codes are the `DL` codes in dlint's registry (dlint keeps hadolint's
codes); both tools run with their default selection, as hadolint's baseline
did. A finding is the pair (code, instruction): hadolint's line is mapped
to the instruction that contains it, dlint's finding carries its instruction.
Files hadolint cannot parse (a DL1000 in its baseline) are skipped. Prints a
markdown table; `--diff` adds every finding only one side has, for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import CORPUS, corpus_files  # noqa: E402 - bench/ is on sys.path when a script runs

from dlint.lint.engine import PARSE_ERROR, Selection, lint  # noqa: E402
from dlint.lint.registry import all_rules  # noqa: E402
from dlint.model import Dockerfile  # noqa: E402
from dlint.parsing.dockerfile import parse  # noqa: E402
from dlint.parsing.source import read_source  # noqa: E402

Key = tuple[str, str, int]  # (file, code, first line of the instruction)


def instruction_line(df: Dockerfile, line: int) -> int:
    """First line of the instruction holding `line` (the line itself outside any instruction)."""
    for instr in df.instructions:
        if instr.start_line <= line <= instr.end_line:
            return instr.start_line
    return line


def collect(corpus: Path, codes: frozenset[str]) -> tuple[set[Key], set[Key], int]:
    baseline: dict[str, list[dict]] = json.loads((corpus / "baselines" / "hadolint.json").read_text())
    theirs: set[Key] = set()
    ours: set[Key] = set()
    skipped = 0
    rules = all_rules()
    selection = Selection(frozenset(c for c in codes if rules[c].default))  # what a plain `dlint check` runs
    for rel in (os.path.relpath(f, corpus) for f in corpus_files(corpus / "real")):
        reported = baseline.get(rel, [])
        if any(r["code"] == PARSE_ERROR for r in reported):
            skipped += 1
            continue
        path = str(corpus / rel)
        df = parse(read_source(path), path)
        theirs |= {(rel, r["code"], instruction_line(df, r["line"])) for r in reported if r["code"] in codes}
        found, _crashes = lint(df, selection)  # what `dlint check` does with the file, parsed once
        ours |= {(rel, f.code, f.instruction_line) for f in found if f.code in codes and not f.suppressed}
    return theirs, ours, skipped


def ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def table(codes: list[str], theirs: set[Key], ours: set[Key]) -> str:
    by_code: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _, code, _ in theirs:
        by_code[code][0] += 1
    for _, code, _ in ours:
        by_code[code][1] += 1
    for _, code, _ in theirs & ours:
        by_code[code][2] += 1
    rows = ["| code | hadolint | dlint | matched | precision | recall |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for code in codes:
        h, d, m = by_code[code]
        rows.append(f"| {code} | {h} | {d} | {m} | {ratio(m, d)} | {ratio(m, h)} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--code", action="append", help="limit to these codes (repeatable)")
    ap.add_argument("--diff", action="store_true", help="list the findings only one side has")
    args = ap.parse_args()
    if not (args.corpus / "real").is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    # hadolint runs its rules with their default severity; opt-in rules (DL1001, DL3057: off in both) are not compared.
    shared = sorted(c for c, r in all_rules().items() if re.fullmatch(r"DL\d{4}", c) and c != PARSE_ERROR and r.default)
    codes = [c for c in shared if not args.code or c in args.code]
    theirs, ours, skipped = collect(args.corpus, frozenset(codes))
    print(f"{len(corpus_files(args.corpus / 'real')) - skipped} files ({skipped} skipped: hadolint cannot parse them)\n")
    print(table(codes, theirs, ours))
    if args.diff:
        for title, only in (("hadolint only", theirs - ours), ("dlint only", ours - theirs)):
            print(f"\n## {title}\n")
            for rel, code, line in sorted(only, key=lambda k: (k[1], k[0], k[2])):
                print(f"{code} {rel}:{line}")


if __name__ == "__main__":
    main()
