"""Agreement with hadolint 2.15.1 (or tally's BuildKit checks) on the real-world corpus, per shared rule code.

    python bench/agreement.py [--corpus ../shared/corpus] [--code DL3008 ...] [--diff]
    python bench/agreement.py --tally PATH/TO/tally [--code DLB007 ...] [--diff]

Shared codes are the `DL` codes in dlint's registry (dlint keeps hadolint's
codes); both tools run with their default selection, as hadolint's baseline
did. A finding is the pair (code, instruction): hadolint's line is mapped
to the instruction that contains it, dlint's finding carries its instruction.
Files hadolint cannot parse (a DL1000 in its baseline) are skipped. Prints a
markdown table; `--diff` adds every finding only one side has, for reading.

With `--tally`, the BuildKit family instead: tally (`pip install tally-cli`, a Go
re-implementation of BuildKit's checks on BuildKit's parser) runs its `buildkit/`
rules only, with no config and no slow (registry) checks, over a copy of each
file named `Dockerfile` (tally reads only such names); its rule names map to
dlint codes through the aliases, and dlint runs the BuildKit checks it has on by
default. The key is (file, code, instruction line) as for hadolint.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import CORPUS, corpus_files  # noqa: E402 - bench/ is on sys.path when a script runs

from dlint.lint.engine import PARSE_ERROR, Selection, lint  # noqa: E402
from dlint.lint.registry import all_rules, canonical  # noqa: E402
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


def collect_tally(corpus: Path, codes: frozenset[str], tally: str) -> tuple[set[Key], set[Key], int]:
    """tally's buildkit/ findings and dlint's, on every corpus file (tally run over copies in batches)."""
    files = [os.path.relpath(f, corpus) for f in corpus_files(corpus / "real")]
    theirs: set[Key] = set()
    ours: set[Key] = set()
    selection = Selection(codes)
    parsed = {rel: parse(read_source(str(corpus / rel)), str(corpus / rel)) for rel in files}
    with tempfile.TemporaryDirectory() as tmp:
        copies = {}
        for i, rel in enumerate(files):
            os.mkdir(os.path.join(tmp, str(i)))
            copies[os.path.join(tmp, str(i), "Dockerfile")] = rel
            shutil.copyfile(corpus / rel, os.path.join(tmp, str(i), "Dockerfile"))
        names = list(copies)
        for start in range(0, len(names), 100):
            for entry in _tally(tally, names[start:start + 100]):
                rel = copies[entry["file"]]
                for v in entry.get("violations") or []:
                    code = canonical(v["rule"].removeprefix("buildkit/"))
                    if code in codes:
                        theirs.add((rel, code, instruction_line(parsed[rel], v["location"]["start"]["line"])))
    for rel, df in parsed.items():
        found, _crashes = lint(df, selection)
        ours |= {(rel, f.code, f.instruction_line) for f in found if f.code in codes and not f.suppressed}
    return theirs, ours, 0


def _tally(tally: str, names: list[str]) -> list[dict]:
    """tally's JSON entries for `names`; a batch it refuses whole is retried file by file (a file it cannot read is skipped)."""
    cmd = [tally, "lint", "--no-config", "--slow-checks", "off", "--ignore", "*", "--select", "buildkit/*",
           "--fail-level", "none", "-f", "json"]
    run = subprocess.run([*cmd, *names], capture_output=True, text=True, check=False)
    try:
        return json.loads(run.stdout).get("files", [])
    except json.JSONDecodeError:
        if len(names) == 1:
            print(f"tally skipped {names[0]}: {run.stderr.strip()[:200]}", file=sys.stderr)
            return []
        return [entry for name in names for entry in _tally(tally, [name])]


def ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def table(codes: list[str], theirs: set[Key], ours: set[Key], other: str = "hadolint") -> str:
    by_code: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _, code, _ in theirs:
        by_code[code][0] += 1
    for _, code, _ in ours:
        by_code[code][1] += 1
    for _, code, _ in theirs & ours:
        by_code[code][2] += 1
    rows = [f"| code | {other} | dlint | matched | precision | recall |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    rules = all_rules()
    for code in codes:
        h, d, m = by_code[code]
        name = next((a for a in rules[code].aliases if a.isalpha()), "") if other == "tally" else ""
        rows.append(f"| {code}{f' {name}' if name else ''} | {h} | {d} | {m} | {ratio(m, d)} | {ratio(m, h)} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--code", action="append", help="limit to these codes (repeatable)")
    ap.add_argument("--diff", action="store_true", help="list the findings only one side has")
    ap.add_argument("--tally", help="compare the BuildKit family with this tally binary instead of hadolint")
    args = ap.parse_args()
    if not (args.corpus / "real").is_dir():
        sys.exit(f"corpus not found: {args.corpus}")
    if args.tally:
        family = sorted(c for c, r in all_rules().items() if r.buildkit and r.default)
        codes = [c for c in family if not args.code or c in args.code]
        theirs, ours, _ = collect_tally(args.corpus, frozenset(codes), args.tally)
        print(f"{len(corpus_files(args.corpus / 'real'))} files, tally's buildkit/ rules\n")
        print(table(codes, theirs, ours, "tally"))
        report_diff(args.diff, "tally", theirs, ours)
        return
    # hadolint runs its rules with their default severity; opt-in rules (DL1001, DL3057: off in both) are not compared.
    shared = sorted(c for c, r in all_rules().items() if re.fullmatch(r"DL\d{4}", c) and c != PARSE_ERROR and r.default)
    codes = [c for c in shared if not args.code or c in args.code]
    theirs, ours, skipped = collect(args.corpus, frozenset(codes))
    print(f"{len(corpus_files(args.corpus / 'real')) - skipped} files ({skipped} skipped: hadolint cannot parse them)\n")
    print(table(codes, theirs, ours))
    report_diff(args.diff, "hadolint", theirs, ours)


def report_diff(wanted: bool, other: str, theirs: set[Key], ours: set[Key]) -> None:
    if wanted:
        for title, only in ((f"{other} only", theirs - ours), ("dlint only", ours - theirs)):
            print(f"\n## {title}\n")
            for rel, code, line in sorted(only, key=lambda k: (k[1], k[0], k[2])):
                print(f"{code} {rel}:{line}")


if __name__ == "__main__":
    main()
