"""The arguments BuildKit's instructions package refuses: too few or too many, a SHELL not in JSON form.

BuildKit's parser (parser.go) accepts `COPY a`, `EXPOSE`, `WORKDIR` and `SHELL sh -c`; its instructions
package (instructions/parse.go), which every build runs next, refuses them, so the file does not build.
Messages are BuildKit's own. Each parser counts its arguments either before it reads the flags (the
keywords in COUNTED_FIRST) or after; `first` says which check a caller is asking for, so an instruction
gets BuildKit's first complaint and only that one. ONBUILD triggers are left alone: BuildKit parses a
trigger only in the build that uses the image.
"""

from __future__ import annotations

import json

from dlint.model import Instruction
from dlint.output import shortened
from dlint.parsing.arguments import GO_SPACE

COUNTED_FIRST = frozenset({"ADD", "COPY", "MAINTAINER", "ONBUILD", "WORKDIR", "EXPOSE", "USER", "VOLUME", "STOPSIGNAL",
                           "ARG", "HEALTHCHECK"})
_EXACTLY_ONE = frozenset({"MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"})
_AT_LEAST_ONE = frozenset({"EXPOSE", "VOLUME", "ARG", "ENV", "LABEL"})


def argument_error(ins: Instruction, first: bool) -> str | None:
    """BuildKit's complaint about the arguments of `ins`: before its flags are read (`first`) or after."""
    keyword, values = ins.keyword, ins.values
    if first:
        return _before_flags(ins) if keyword in COUNTED_FIRST else None
    if keyword == "SHELL":
        if ins.json_args is not None:
            return None if ins.json_args else "SHELL requires at least one argument"
        if not any(values):
            return "SHELL requires at least one argument"
        return "SHELL requires the arguments to be in JSON form"
    if keyword == "VOLUME" and any(not v.strip(GO_SPACE) for v in values):
        return "VOLUME specified can not be an empty string"  # counted before the flags, checked for blanks after
    if keyword in ("ENV", "LABEL") and not values:
        return f"{keyword} requires at least one argument"
    if keyword == "HEALTHCHECK" and values and values[0].upper() != "NONE":
        kind = values[0].upper()
        if kind != "CMD":
            return f"Unknown type {json.dumps(shortened(kind), ensure_ascii=False)} in HEALTHCHECK (try CMD)"
        if len(values) < 2:
            return "Missing command after HEALTHCHECK CMD"
    return None


def _before_flags(ins: Instruction) -> str | None:
    keyword, values = ins.keyword, ins.values
    if keyword in ("ADD", "COPY"):
        if len(values) < 2:
            return (f"{keyword} requires at least two arguments, but only one was provided. "
                    "Destination could not be determined")
        return None
    if keyword in _EXACTLY_ONE:
        return None if len(values) == 1 else f"{keyword} requires exactly one argument"
    if keyword == "ONBUILD":
        return None if ins.trigger is not None else "ONBUILD requires at least one argument"
    if keyword == "HEALTHCHECK":
        if not values:
            return "HEALTHCHECK requires at least one argument"
        return "HEALTHCHECK NONE takes no arguments" if values[0].upper() == "NONE" and len(values) > 1 else None
    if keyword in _AT_LEAST_ONE and not values:
        return f"{keyword} requires at least one argument"
    if keyword == "ARG" and any(word.partition("=")[0] == "" and "=" in word for word in values):
        return "ARG names can not be blank"
    return None
