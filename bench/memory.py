"""Peak RSS of `dlint check` on generated 2 MB files, each in its own process.

    python bench/memory.py [--megabytes 2]

The issue's bound: memory linear in the largest file with a small constant,
a 2 MB RUN line within 100 MB RSS. Prints each file's peak RSS (ru_maxrss of
the child) and that of an empty file, the interpreter's own share; beside it, the
peak of a process that only has tree-sitter-bash parse the RUN's text (the floor
any linter built on it pays: for some 2 MB lines that alone is over 100 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def files(size: int) -> dict[str, str]:
    return {
        "empty FROM": "FROM debian\n",
        "one RUN line": "FROM debian\nRUN echo " + "word " * (size // 5) + "\n",
        "many short RUNs": "FROM debian\n" + "RUN echo hi\n" * (size // 12),
        "many findings": "FROM debian\nRUN " + "cd /d && " * (size // 9) + "true\n",
        "many ; commands": "FROM debian\nRUN " + "a;" * (size // 2) + "b\n",
    }


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of one `dlint check` child (a fresh process per file, so maxima do not mix), with the 1 MB
    --max-file-size lifted: what a file of this size costs."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'dlint', 'check', '--max-file-size', '100000000', sys.argv[1]],\n"
        "               stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return int(run.stdout) / 1024  # Linux reports KiB


def tree_sitter_rss_mb(path: Path) -> float:
    """Peak RSS of a process that only parses the file's last RUN text with tree-sitter-bash."""
    code = (
        "import resource, sys, tree_sitter, tree_sitter_bash\n"
        "text = open(sys.argv[1], encoding='utf-8').read().rstrip('\\n').rpartition('\\nRUN ')[2]\n"
        "tree = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language())).parse(text.encode())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(run.stdout) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=float, default=2.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files(int(args.megabytes * 1_000_000)).items():
            path = Path(tmp) / "Dockerfile"
            path.write_text(text, encoding="utf-8")
            print(f"{name:20} {len(text) / 1e6:6.2f} MB  peak RSS {peak_rss_mb(path):7.1f} MB"
                  f"  (tree-sitter alone {tree_sitter_rss_mb(path):7.1f} MB)")


if __name__ == "__main__":
    main()
