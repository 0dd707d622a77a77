"""Tying an image's layers to Dockerfile lines from its config's `history[]`, for images dlint did not build.

Entries with `empty_layer` have no layer; the others are the layers, oldest
first (`rootfs.diff_ids` order). Each entry's `created_by` is matched to the
instructions of the stage that ships (and the stages it is built FROM),
newest first, in the forms the builders write (observed on Docker 20.10 and
Podman 4.3):

- classic and Podman: `/bin/sh -c #(nop)  ENV X=1`, `/bin/sh -c #(nop) COPY
  file:<hash> in /srv/ `, a RUN as the command it ran (`/bin/sh -c make`,
  `|2 A=1 B=2 /bin/sh -c make` with build args in scope; an exec-form RUN as
  its words joined by Docker, as written by Podman);
- BuildKit: the instruction itself, `RUN |1 A=1 /bin/sh -c make # buildkit`,
  `COPY app.txt /srv/ # buildkit`, `WORKDIR /srv`, `ENV X=1`.

The match is conservative: an entry is tied to the next instruction when its
keyword and what can be compared (a RUN's command, a COPY's destination) agree;
instructions that write no files may be skipped to reach it, and a RUN or
BuildKit COPY whose whole text agrees may skip further (the Dockerfile gained a
line since). Anything else matches no line and is reported, never tied to a
guess. Once every instruction is placed, the older entries are the base
image's and belong to the first stage's FROM.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

from dlint.analyse.layers import ancestry
from dlint.model import Dockerfile, Instruction, Stage
from dlint.output import clipped, printable

NOP = re.compile(r"^.*?#\(nop\) ")  # after the shell in force: "/bin/sh -c ", or what SHELL set
BUILDKIT = " # buildkit"
KEYWORD = re.compile(r"^([A-Z]+)(?: |$)")
INSTRUCTION_WORDS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
LOOKAHEAD = 32  # instructions an entry may skip to find its own: keeps matching linear in the history
WRITES_FILES = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})


class HistoryError(Exception):
    """The config's history cannot describe the layers: one line saying why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One history entry, as matching needs it."""

    keyword: str  # the instruction keyword it was written for ("RUN" for a classic command)
    body: str  # what follows the keyword, whitespace collapsed, "# buildkit" removed
    buildkit: bool  # BuildKit wrote the instruction's own text
    layer: int | None  # index of its layer, oldest first; None for an empty_layer entry
    created_by: str


@dataclass
class LayerMap:
    """The instruction of each layer (oldest first), and what could not be tied."""

    owners: list[Instruction | None]
    notices: list[str] = field(default_factory=list)  # one line each: a layer no line explains, a line with no layer
    placed: set[int] = field(default_factory=set)  # instruction indexes the history has an entry for
    base_reached: bool = False  # every instruction was placed: the older entries are the base image's


def entries(config: dict, layer_count: int) -> list[Entry]:
    """The config's history, oldest first; raises HistoryError when it names more layers than the image has."""
    history = config.get("history")
    rows = [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []
    layered = sum(1 for h in rows if not h.get("empty_layer"))
    if layered > layer_count:
        raise HistoryError(f"the image's history names {layered} layers but the image has {layer_count}: "
                           "the config does not belong to these layers")
    out: list[Entry] = []
    layer = 0
    for row in rows:
        index = None if row.get("empty_layer") else layer
        layer += index is not None
        out.append(_entry(str(row.get("created_by") or ""), index))
    return out


def _entry(created_by: str, layer: int | None) -> Entry:
    text = " ".join(created_by.split())
    buildkit = text.endswith(BUILDKIT)
    if buildkit:
        text = text[: -len(BUILDKIT)]
    nop = NOP.match(text)
    if nop:
        text = text[nop.end():]
    word = KEYWORD.match(text)
    if word and word[1] in INSTRUCTION_WORDS and (nop or buildkit or not text.startswith("/")):
        return Entry(word[1], text[word.end():], buildkit, layer, created_by)
    return Entry("RUN", text, False, layer, created_by)  # a classic or Podman RUN: the command it ran


def map_layers(config: dict, layer_count: int, df: Dockerfile, stage: Stage) -> LayerMap:
    """Each layer's instruction: the shipped stage's chain, matched newest first; the base image's are its FROM."""
    chain = ancestry(df, stage)
    instructions = [i for s in chain for i in s.instructions[1:]][::-1]  # newest first
    base = chain[0].from_instruction
    found = entries(config, layer_count)
    layered = sum(1 for e in found if e.layer is not None)
    result = LayerMap([None] * layer_count)
    if layered < layer_count:
        result.notices.append(f"the image's history names {layered} of its {layer_count} layers: "
                              "no layer is tied to a line")
        return result
    position = 0
    for entry in reversed(found):
        if position < len(instructions):
            at = _place(entry, instructions, position)
            if at is not None:
                result.notices += _unplaced(instructions[position:at])
                result.placed.add(instructions[at].index)
                if entry.layer is not None:
                    result.owners[entry.layer] = instructions[at]
                position = at + 1
                continue
            if entry.layer is not None:
                result.notices.append(f"layer {entry.layer + 1} ({_shown(entry.created_by)}) matches no line of "
                                      "the Dockerfile: its bytes are not tied to a line")
        elif entry.layer is not None:
            result.owners[entry.layer] = base
    result.base_reached = position >= len(instructions)
    result.notices += _unplaced(instructions[position:])
    return result


def _unplaced(instructions: list[Instruction]) -> list[str]:
    return [f"line {i.start_line} ({i.keyword}) has no entry in the image's history: the image was built from "
            "another version of it" for i in instructions if i.keyword in WRITES_FILES]


def _place(entry: Entry, instructions: list[Instruction], position: int) -> int | None:
    """Where `entry` goes among the instructions from `position` on (newest first); None when nowhere safe."""
    at, end = position, min(len(instructions), position + LOOKAHEAD)
    while at < end:
        if _matches(entry, instructions[at]):
            return at
        if instructions[at].keyword in WRITES_FILES:
            break
        at += 1  # ENV, LABEL, ...: a builder may write them in another form; they own no bytes
    for later in range(at + 1, end):
        if _matches(entry, instructions[later], exact=True):
            return later
    return None


def _matches(entry: Entry, instr: Instruction, exact: bool = False) -> bool:
    """Whether `entry` can have been written for `instr`; `exact`: only when its whole text agrees."""
    if entry.keyword != instr.keyword:
        return False
    if instr.keyword == "RUN":
        return any(entry.body == c or entry.body.endswith(" " + c) for c in _commands(instr))
    if instr.keyword in ("COPY", "ADD"):
        if entry.buildkit and entry.body == _collapse(_own_text(instr)):
            return True
        return not exact and _destination(entry) == _collapse(_words(instr)[-1] if _words(instr) else "")
    return not exact


def _commands(instr: Instruction) -> tuple[str, ...]:
    """The texts a builder records for a RUN: its shell command, or its exec-form words joined or as written."""
    if instr.heredocs:
        return ()  # the recorded form of a heredoc differs between builders: not tied rather than guessed
    return _command_texts(instr.args.value, instr.json_args)


@functools.lru_cache(maxsize=1024)  # each instruction is compared with many entries
def _command_texts(args: str, json_args: tuple[str, ...] | None) -> tuple[str, ...]:
    if json_args is not None:
        return _collapse(" ".join(json_args)), _collapse(args), _collapse(json.dumps(list(json_args)))
    return (_collapse(args),)


def _words(instr: Instruction) -> list[str]:
    return list(instr.json_args) if instr.json_args is not None else instr.args.value.split()


def _own_text(instr: Instruction) -> str:
    """What BuildKit writes after the keyword: flags as written, then the arguments."""
    flags = " ".join(f"--{f.name}" + (f"={f.value}" if f.value is not None else "") for f in instr.flags)
    return f"{flags} {instr.args.value}" if flags else instr.args.value


def _destination(entry: Entry) -> str:
    if " in " in entry.body and not entry.buildkit:  # "file:<hash> in /srv/"
        return entry.body.rsplit(" in ", 1)[1].strip()
    words = entry.body.split()
    return words[-1] if words else ""


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _shown(created_by: str, width: int = 80) -> str:
    text = printable(_collapse(created_by))
    return clipped(text, width)


