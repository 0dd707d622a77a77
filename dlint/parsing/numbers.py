"""Numbers written in a Dockerfile, read without letting a long one cost time or a crash; and what a
count (of bytes, a mode, an id) read from JSON or TOML must be (non_negative_int).

`int()` of a string of over 4,300 digits raises (Python's guard against its quadratic
conversion), so `--retries=999...9` or `COPY --from=999...9` ended the parse. Every limit the
builders check (a uint32 mode, an int32 retry count, a stage index) is far below MAX_DIGITS
digits, so a longer number stands for "too big" as well as its own value would.
"""

from __future__ import annotations

MAX_DIGITS = 30


def capped_int(text: str, base: int = 10) -> int:
    """The value of `text` (digits of `base` with an optional sign, already checked), or
    ±base**MAX_DIGITS when it has more significant digits than MAX_DIGITS."""
    sign = -1 if text[:1] == "-" else 1
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > MAX_DIGITS:
        return sign * base**MAX_DIGITS
    return sign * int(digits or "0", base)


def non_negative_int(value: object) -> bool:
    """A count as JSON or TOML gives one (bytes, a mode, an id): an int, not negative, and not a bool (Python's
    True is an int)."""
    return type(value) is int and value >= 0
