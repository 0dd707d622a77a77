"""Byte counts for people, and the sizes people write on the command line.

Measured sizes are shown in decimal units with three significant digits, as
`docker images` shows them. A size a user writes (`--max-size 200MB`) keeps the
unit family it was written in: `MB` means 10^6 bytes and `MiB` 2^20, and the
figures compared against it are shown in the same family, so nobody has to
guess which megabyte a verdict meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlint.parsing.numbers import MAX_DIGITS, capped_int

UNITS = ("B", "kB", "MB", "GB", "TB")
BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
_PREFIXES = "kmgt"
NUMBER = r"(\d+(?:\.\d+)?)"  # a size's or a percentage's number: digits (0-9 only, with re.ASCII), a fraction
SIZE = re.compile(r"^\s*" + NUMBER + r"\s*(?:([kmgt])(i?)b|(b?))\s*$", re.IGNORECASE | re.ASCII)


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in UNITS:
        if abs(value) < 999.5 or unit == UNITS[-1]:
            break
        value /= 1000
    if unit == "B":
        return f"{int(value)} B"
    return f"{value:.3g} {unit}"


def size_text(n: int, binary: bool = False) -> str:
    """One decimal place in the given family: `5.0 MB`, `4.8 MiB`; whole bytes below a kilobyte."""
    base, units = (1024, BINARY_UNITS) if binary else (1000, UNITS)
    value = float(n)
    for unit in units:
        if abs(value) < base or unit == units[-1]:
            break
        value /= base
    return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"


class SizeError(ValueError):
    """A size that is not a number of bytes with an optional unit."""


@dataclass(frozen=True, slots=True)
class Size:
    """A size as the user wrote it, so messages show figures in the same unit."""

    bytes: int
    binary: bool  # written in KiB/MiB/GiB: show the measured figures that way too
    text: str  # as written, normalised: "200 MB", "200 MiB", "512 B"

    def show(self, n: int) -> str:
        """A measured figure in the unit family of this size."""
        return size_text(n, self.binary)

    def describe(self) -> str:
        """The size with what its unit means, for the one place a verdict states its limit."""
        if self.text.endswith(" B"):
            return f"{self.text} (a bare number is bytes)"
        unit = self.text.split()[-1]
        power = f"2^{10 * (BINARY_UNITS.index(unit))}" if self.binary else f"10^{3 * UNITS.index(unit)}"
        return f"{self.text} ({self.bytes} bytes; {unit} = {power} bytes)"


def parse_size(text: str) -> Size:
    """`200MB` (10^6), `200MiB` (2^20), `1.5GB`, `512` or `512B` (bytes); case of the letters is free."""
    m = SIZE.match(text)
    if not m:
        raise SizeError(f"{text!r} is not a size: write e.g. 200MB (10^6 bytes), 200MiB (2^20 bytes) or 512 (bytes)")
    number, prefix, binary = m[1], (m[2] or "").lower(), bool(m[3])
    if not prefix:
        if "." in number:
            raise SizeError(f"{text!r}: a number of bytes must be whole")
        count = capped_int(number)  # int() refuses over 4,300 digits, leading zeros included
        if count >= 10**MAX_DIGITS:
            raise SizeError(f"{text[:40]!r}...: more bytes than any image holds")
        return Size(count, False, f"{count} B")
    power = _PREFIXES.index(prefix) + 1
    factor = 1024**power if binary else 1000**power
    unit = (BINARY_UNITS if binary else UNITS)[power]
    value = scaled(number, factor)
    if value is None:
        raise SizeError(f"{text[:40]!r}...: more bytes than any image holds")
    return Size(round(value), binary, f"{number} {unit}")


def scaled(number: str, factor: int = 1) -> float | None:
    """`number` (as NUMBER matched it) times `factor`; None from 10^MAX_DIGITS up, more than any image holds:
    float() is inf past 10^308, which no int holds."""
    value = float(number) * factor
    return value if value < 10**MAX_DIGITS else None
