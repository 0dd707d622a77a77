"""Where reports and messages go (stdout, a file, stderr) and whether they may be coloured; shared by every command."""

from __future__ import annotations

import os
import sys


def say(message: str) -> None:
    """One line for the user on stderr, the way every dlint message reads."""
    sys.stderr.write(f"dlint: {message}\n")


class OutputError(Exception):
    """A report could not be written: the one-line reason."""


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror}") from None


def use_colour(stream) -> bool:
    """ANSI colour only for a person at a terminal; NO_COLOR (https://no-color.org) counts when non-empty."""
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
