"""What ENV and ARG hand a RUN's shell, for reading a `$NAME` in it.

As the Dockerfile reference says: ENV wins over an ARG of the same name,
ENV is inherited from the stage a FROM names, ARG is not (a stage's `ARG NAME`
without a value takes the global ARG's default). An ARG's default is what a
build without `--build-arg` gets, so dlint reads the file as written:
`ARG PKGS="curl wget"` holds `curl wget`. An ARG without a default holds
whatever the build passes: unknown. So is a value BuildKit would expand (`$X`),
and any name the file does not set (the base image may).
"""

from __future__ import annotations

import bisect
import sys

from dlint.model import Dockerfile
from dlint.parsing.arguments import unquote

_Events = dict[str, tuple[list[int], list[str | None]]]  # name -> (instruction indexes, values)


class Environment:
    """The file's ENV and ARG values per stage, read in one pass; each look-up bisects."""

    def __init__(self, df: Dockerfile) -> None:
        self._parents = [stage.parent for stage in df.stages]
        self._env: list[_Events] = [{} for _ in df.stages]
        self._arg: list[_Events] = [{} for _ in df.stages]
        self._final_env: dict[tuple[int, str], tuple[bool, str | None]] = {}  # (stage, name) -> _final's answer
        escape = df.directives.escape
        globals_: dict[str, str | None] = {}
        for instr in df.instructions:
            if instr.keyword == "ARG":
                for declared in instr.values:
                    name, eq, default = declared.partition("=")
                    value = _literal(default, escape) if eq else globals_.get(name) if instr.stage >= 0 else None
                    if instr.stage < 0:
                        globals_[name] = value
                    else:
                        _add(self._arg[instr.stage], name, instr.index, value)
            elif instr.keyword == "ENV" and instr.stage >= 0:
                values = instr.values
                for i in range(0, len(values) - 2, 3):
                    _add(self._env[instr.stage], values[i], instr.index, _literal(values[i + 1], escape))
        self._env_names = {name for env in self._env for name in env}

    def value(self, stage: int, index: int, name: str) -> str | None:
        """The value `name` has for the shell of instruction `index` of `stage`; None when unknown."""
        if stage < 0:
            return None
        found, value = _last(self._env[stage].get(name), index)  # ENV: this stage so far,
        if found:
            return value
        parent = self._parents[stage]
        inherits = parent is not None and name in self._env_names
        found, value = self._final(parent, name) if inherits else (False, None)  # then what it builds on
        return value if found else _last(self._arg[stage].get(name), index)[1]

    def _final(self, stage: int, name: str) -> tuple[bool, str | None]:
        """(set, value) of `name` at the end of `stage` or the stages it builds on. Remembered per stage and
        name, so a chain of thousands of stages is walked once per name, not once per look-up."""
        walked: list[int] = []
        at: int | None = stage
        answer: tuple[bool, str | None] = (False, None)
        while at is not None:
            known = self._final_env.get((at, name))
            if known is not None:
                answer = known
                break
            walked.append(at)
            answer = _last(self._env[at].get(name), sys.maxsize)
            if answer[0]:
                break
            at = self._parents[at]
        for done in walked:
            self._final_env[done, name] = answer
        return answer


def _literal(raw: str, escape: str) -> str | None:
    """The value BuildKit makes of an ENV or ARG value, when it expands nothing."""
    return None if "$" in raw else unquote(raw, escape)


def _add(events: _Events, name: str, index: int, value: str | None) -> None:
    indexes, values = events.setdefault(name, ([], []))
    indexes.append(index)
    values.append(value)


def _last(entry: tuple[list[int], list[str | None]] | None, index: int) -> tuple[bool, str | None]:
    """(set before `index`, the latest value)."""
    if entry is None:
        return False, None
    indexes, values = entry
    i = bisect.bisect_left(indexes, index)
    return (True, values[i - 1]) if i else (False, None)
