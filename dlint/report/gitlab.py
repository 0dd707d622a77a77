"""GitLab Code Quality report: a JSON array the merge-request widget reads (`artifacts:reports:codequality`).

Severity mapping (GitLab's scale is info < minor < major < critical < blocker;
blocker is left for nothing dlint reports): error -> critical,
warning -> major, info -> minor, style -> info.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.paths import display_path, shown_path

SEVERITIES = {Level.ERROR: "critical", Level.WARNING: "major", Level.INFO: "minor", Level.STYLE: "info"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    issues = []
    for f in findings:
        path = shown_path(f.file)
        issues.append(
            {
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                "fingerprint": _fingerprint(f),
                "severity": SEVERITIES[f.level],
                "location": {"path": path, "lines": {"begin": f.line, "end": f.end_line}},
            }
        )
    return json.dumps(issues, indent=2) + "\n"


def _fingerprint(f: Finding) -> str:
    """Unique across the report, as GitLab wants it (the engine's fingerprint is per file): hashed with the
    path's own bytes, not its shown spelling, in which the files `a<LF>b` and `a\\x0ab` are one."""
    return hashlib.sha256(os.fsencode(display_path(f.file)) + b"\0" + f.fingerprint.encode()).hexdigest()[:32]
