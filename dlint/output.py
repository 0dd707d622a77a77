"""Where reports and messages go (stdout, a file, stderr) and whether they may be coloured; shared by every command."""

from __future__ import annotations

import os
import sys


# C0 controls, DEL and C1 controls, each shown as `\xNN`: a path or a Dockerfile cannot end a line
# (and start a `::set-env` GitHub workflow command), move the cursor or send an ESC sequence.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """`text` with every control character escaped as `\\xNN`, for a terminal or a CI log."""
    return text if text.isprintable() else text.translate(_CONTROLS)


def say(message: str) -> None:
    """One line for the user on stderr, the way every dlint message reads."""
    sys.stderr.write(f"dlint: {printable(message)}\n")


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
