"""Which files `dlint check DIR` lints: Dockerfile-shaped names, found recursively."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable

NAME_PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*")
# `Dockerfile.dockerignore` and friends match `Dockerfile.*` but are not Dockerfiles.
NOT_DOCKERFILE_SUFFIXES = (
    ".dockerignore", ".md", ".txt", ".sh", ".py", ".go", ".json", ".yml", ".yaml", ".toml", ".orig", ".rej", ".swp",
)
# Directories never searched: version control, dependency trees and virtualenvs.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", "__pycache__"})


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(NOT_DOCKERFILE_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in NAME_PATTERNS)


def excluded(path: str, root: str, excludes: Iterable[str]) -> bool:
    """gitignore-style globs: a pattern with no '/' matches any path component.

    `path` and `root` are absolute and resolved; a path outside `root` is matched whole."""
    inside = path == root or path.startswith(os.path.join(root, ""))
    rel = os.path.relpath(path, root) if inside else path
    rel = rel.replace(os.sep, "/")
    for pat in excludes:
        pat = pat.rstrip("/")
        if "/" in pat:
            if fnmatch.fnmatchcase(rel, pat.lstrip("/")) or fnmatch.fnmatchcase(rel, pat.lstrip("/") + "/*"):
                return True
        elif any(fnmatch.fnmatchcase(part, pat) for part in rel.split("/")):
            return True
    return False


def discover(directory: str) -> list[str]:
    """The Dockerfiles under `directory`, sorted; `exclude` is the caller's, since it
    depends on the config nearest each file, not on the directory searched."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        found.extend(_join(dirpath, name) for name in filenames if is_dockerfile_name(name))
    return sorted(found)


def _join(directory: str, name: str) -> str:
    """`directory/name` spelt as pathlib would (`./x` gives `x/Dockerfile`), without importing it."""
    parts = [p for p in directory.split(os.sep) if p not in ("", ".")]
    lead = os.sep if directory.startswith(os.sep) else ""
    return lead + os.sep.join([*parts, name])
