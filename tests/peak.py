"""Peak memory of Python code run in a fresh process.

A child's ru_maxrss starts from its parent's resident size at fork (Linux keeps the high-water mark
across exec), so measured straight from the test process it reads as pytest's 200 MB. The code runs in
a grandchild instead, forked from a small interpreter, whose RUSAGE_CHILDREN is the figure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run([sys.executable, '-c', *sys.argv[1:]], capture_output=True, text=True)\n"
    "sys.stdout.write(p.stdout)\nsys.stderr.write(p.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(p.returncode)\n"
)


def run_measured(code: str, *args: str) -> tuple[int, str, int]:
    """(exit code, stdout, peak RSS in KiB) of `python -c code args...`, run from the repository."""
    run = subprocess.run([sys.executable, "-c", _WRAPPER, code, *args], capture_output=True, text=True, cwd=REPO,
                         check=False)
    *out, peak = run.stdout.splitlines() or ["0"]
    assert "Traceback" not in run.stderr, run.stderr
    return run.returncode, "\n".join(out), int(peak)
