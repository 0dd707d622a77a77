"""ShellCheck on RUN scripts, opt-in: its SC findings, placed in the Dockerfile.

It runs a subprocess, so it is not a check under lint/checks/: the engine calls
it when the user asked for it (`shellcheck = true`, `--shellcheck`) and the
binary is on PATH. Each RUN's script is written as the shell receives it
(continuations joined, heredoc bodies in place) to a file in one temporary
directory, and one ShellCheck run per shell dialect reads them all: starting
ShellCheck costs more than checking a script. Findings come back as script
lines and columns and go through the RUN's source map to file offsets.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.lint.context import Context
from dlint.lint.finding import Level, Violation
from dlint.model import Dockerfile, Instruction, Segment, SourceMap, Text
from dlint.parsing.shell import heredoc_map, heredoc_script, shebang_program, shell_program

# The file a `source`/`.` reads lives in the image, not next to the Dockerfile: ShellCheck
# cannot follow it, and no directive in a RUN could tell it where to look.
EXCLUDED = ("SC1090", "SC1091")
# The --shell dialect for each shell a RUN may run in; others (zsh, fish) are not checked.
DIALECTS = {"sh": "sh", "ash": "sh", "busybox": "sh", "dash": "dash", "bash": "bash", "ksh": "ksh", "mksh": "ksh"}
# BuildKit passes these to every RUN without an ARG (and hadolint declares them too).
PREDEFINED = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
              "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")
LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "info": Level.INFO, "style": Level.STYLE}
TIMEOUT = 120  # seconds for one ShellCheck run
_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*")


class ShellcheckError(Exception):
    """ShellCheck ran but failed; the message is one line for the user."""


@functools.cache
def binary() -> str | None:
    """The `shellcheck` on PATH, looked up once per process (and only when ShellCheck is asked for)."""
    import shutil

    return shutil.which("shellcheck")


MISSING = (
    "ShellCheck is enabled but no `shellcheck` is on PATH, so SC findings are skipped "
    "(install it: `apt-get install shellcheck`, `brew install shellcheck`)"
)


class _Job(NamedTuple):
    """One RUN's script: what ShellCheck reads after a line declaring the variables in scope."""

    instr: Instruction
    script: Text
    dialect: str
    preamble: str  # "" or one `export ...` line
    line_starts: tuple[int, ...]  # index in `script` of each of its lines


def run(ctx: Context) -> list[tuple[Violation, Level]]:
    """ShellCheck's findings on every POSIX-shell RUN of the file, each with ShellCheck's level."""
    exe = binary()
    if exe is None:
        return []
    jobs = [job for instr in ctx.runs() if (job := _job(ctx, instr)) is not None]
    if not jobs:
        return []
    import tempfile  # these only when ShellCheck runs: not on every `dlint check`

    by_dialect: dict[str, list[int]] = {}
    for n, job in enumerate(jobs):
        by_dialect.setdefault(job.dialect, []).append(n)
    out: list[tuple[Violation, Level]] = []
    with tempfile.TemporaryDirectory(prefix="dlint-shellcheck-") as tmp:
        for n, job in enumerate(jobs):
            with open(os.path.join(tmp, f"{n}.sh"), "w", encoding="utf-8") as script:
                script.write(job.preamble + job.script.value)
        for dialect, numbers in by_dialect.items():
            for comment in _shellcheck(exe, tmp, dialect, [f"{n}.sh" for n in numbers]):
                found = _violation(jobs[int(comment["file"].removesuffix(".sh"))], comment)
                if found is not None:
                    out.append(found)
    return out


def _shellcheck(exe: str, cwd: str, dialect: str, files: list[str]) -> Iterator[dict]:
    import json
    import subprocess

    command = [exe, "--format=json1", "--norc", f"--shell={dialect}", f"--exclude={','.join(EXCLUDED)}", *files]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ShellcheckError(f"shellcheck took longer than {TIMEOUT}s") from None
    except OSError as exc:
        raise ShellcheckError(f"cannot run {exe}: {exc.strerror}") from None
    if done.returncode not in (0, 1):  # 1: it found something
        reason = next((line for line in done.stderr.splitlines() if line.strip()), "no message")
        raise ShellcheckError(f"shellcheck failed (exit {done.returncode}): {reason}")
    try:
        yield from json.loads(done.stdout)["comments"]
    except (ValueError, KeyError, TypeError):
        raise ShellcheckError("shellcheck printed something that is not its json1 report") from None


def _job(ctx: Context, instr: Instruction) -> _Job | None:
    """What ShellCheck should read for `instr`; None for exec form and non-POSIX shells."""
    if instr.is_exec_form or ctx.script(instr) is None:  # None: PowerShell, cmd, a `# escape=`` file
        return None
    df = ctx.dockerfile
    whole = heredoc_script(instr)
    program = shebang_program(whole.body) if whole is not None else None
    if program is None:
        program = shell_program(ctx.shell(instr)[0])
    dialect = DIALECTS.get(program)
    if dialect is None:
        return None
    script = Text(whole.body, heredoc_map(df, whole)) if whole is not None else _with_heredocs(df, instr)
    names = _declared(df, instr)
    preamble = f"export {' '.join(f'{name}=1' for name in names)}\n" if names else ""
    starts = (0, *(m.end() for m in re.finditer("\n", script.value)))
    return _Job(instr, script, dialect, preamble, starts)


def _with_heredocs(df: Dockerfile, instr: Instruction) -> Text:
    """The command line, then each heredoc's body and terminator: the script BuildKit hands the shell."""
    value = instr.args.value
    segments = list(instr.args.map.segments)  # the newlines added below map past the line before them
    for heredoc in instr.heredocs:
        value += "\n"
        segments += [Segment(s.logical + len(value), s.source, s.length) for s in heredoc_map(df, heredoc).segments]
        value += heredoc.body
        segments.append(Segment(len(value), heredoc.terminator_offset, len(heredoc.name)))
        value += heredoc.name
    return Text(value, SourceMap(tuple(segments)))


def _declared(df: Dockerfile, instr: Instruction) -> list[str]:
    """Variables the RUN's environment has: ARG and ENV of its stage before it, ENV of the
    stages it builds FROM, BuildKit's proxy variables. Declared to ShellCheck, they are not
    "referenced but not assigned" (SC2154)."""
    chain: list[int] = []
    stage = df.stage_of(instr)
    while stage is not None and stage.index not in chain:
        chain.append(stage.index)
        stage = df.stages[stage.parent] if stage.parent is not None else None
    names = dict.fromkeys(PREDEFINED)
    for other in (i for s in reversed(chain) for i in df.stages[s].instructions):
        own = other.stage == instr.stage
        if own and other.index >= instr.index:
            break
        if other.keyword == "ENV":
            names.update(dict.fromkeys(other.values[0::3]))
        elif other.keyword == "ARG" and own:
            names.update(dict.fromkeys(v.partition("=")[0] for v in other.values))
    return [name for name in names if _NAME.fullmatch(name)]


def _violation(job: _Job, comment: dict) -> tuple[Violation, Level] | None:
    """A json1 comment as a violation on the RUN (on its ONBUILD, for a trigger)."""
    skip = job.preamble.count("\n")
    text, starts = job.script.value, job.line_starts

    def index(line: int, column: int) -> int | None:
        line -= skip
        if line < 1:
            return None
        if line > len(starts):
            return len(text)
        return min(starts[line - 1] + column - 1, len(text))

    start = index(comment["line"], comment["column"])
    end = index(comment["endLine"], comment["endColumn"])
    if start is None:
        return None
    end = max(end if end is not None else start, start)
    source_map = job.script.map
    violation = Violation(
        code=f"SC{comment['code']}",
        message=comment["message"],
        start_offset=source_map.to_source(start),
        end_offset=source_map.end_to_source(end) if end > start else source_map.to_source(start),
        instruction=job.instr.index,
    )
    return violation, LEVELS.get(comment["level"], Level.WARNING)
