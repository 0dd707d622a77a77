"""GitLab Code Quality report: a JSON array the merge-request widget reads (`artifacts:reports:codequality`).

Severity mapping (GitLab's scale is info < minor < major < critical < blocker;
blocker is left for nothing dlint reports): error -> critical,
warning -> major, info -> minor, style -> info.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from dlint.lint.finding import Finding, Level
from dlint.report.paths import shown_path

SEVERITIES = {Level.ERROR: "critical", Level.WARNING: "major", Level.INFO: "minor", Level.STYLE: "info"}


def render(findings: Sequence[Finding], files: Sequence[str] = ()) -> str:
    issues = []
    for f in findings:
        path = shown_path(f.file)
        issues.append(
            {
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                # GitLab wants it unique across the report: the engine's fingerprint is per file.
                "fingerprint": hashlib.sha256(f"{path}\0{f.fingerprint}".encode()).hexdigest()[:32],
                "severity": SEVERITIES[f.level],
                "location": {"path": path, "lines": {"begin": f.line, "end": f.end_line}},
            }
        )
    return json.dumps(issues, indent=2) + "\n"
