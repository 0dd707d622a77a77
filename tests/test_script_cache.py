"""The language server's shell-view cache: a lint that reuses views from the previous edit finds
exactly what a fresh lint finds, whatever the edit changed."""

from __future__ import annotations

from dlint.lint.context import ScriptCache
from dlint.lint.engine import Selection, lint
from dlint.parsing.dockerfile import parse

RUN = "RUN apt-get update && apt-get install -y curl wget curl\n"
EDITS = [
    "FROM debian:bookworm-slim\n" + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\n# a line above moves every offset\n" + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n" + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\nSHELL [\"pwsh\", \"-c\"]\n" + RUN + "RUN echo ok | tee /x\n",  # not POSIX: no view
    "# escape=`\nFROM debian:bookworm-slim\n" + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\n# hadolint shell=pwsh\n" + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\n# hadolint shell=bash\n" + RUN + "RUN echo ok | tee /x\n",  # same offsets
    "# escape=\\\nFROM debian:bookworm-slim\n" + RUN + "RUN echo ok | tee /x\n",  # as the ` file, offsets too
    "FROM debian:bookworm-slim\n" + RUN + "ONBUILD " + RUN + "RUN echo ok | tee /x\n",
    "FROM debian:bookworm-slim\n" + RUN.replace("wget ", "") + "RUN echo ok | tee /x\n",
]


def seen(findings) -> list[tuple]:
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in findings]


def test_reused_views_find_what_a_fresh_lint_finds():
    cache = ScriptCache()
    selection = Selection.default()
    for text in EDITS + EDITS[::-1]:
        fresh, _ = lint(parse(text, "Dockerfile"), selection)
        reused, _ = lint(parse(text, "Dockerfile"), selection, cache)
        assert seen(reused) == seen(fresh), text
