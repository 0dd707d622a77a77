"""The limit on how deeply a shell script may nest, so no pass recurses or goes quadratic on it.

`$(` 50,000 deep or `${a:-${a:-...}}` 250 deep is no Dockerfile anyone writes; past
the limit the parser reports DL1000 and the shell view sees nothing (no shell rule
guesses at what such a RUN does).
"""

from __future__ import annotations

from dlint.lazyre import lazy

MAX_NESTING = 100
# An ARG or ENV value expanded longer than this is taken as unknown: `A1=$A0$A0`, `A2=$A1$A1`, ...
# doubles at each line, so 40 lines would otherwise ask for a terabyte.
MAX_EXPANDED = 65536
MESSAGE = f"nesting deeper than {MAX_NESTING} (brackets, `$(`, `${{`): the shell script is not analysed"
# The same in FROM, ENV, COPY and the rest: BuildKit expands `${a:-${b:-...}}` there, and dlint does not follow.
INSTRUCTION_MESSAGE = f"nesting deeper than {MAX_NESTING} (`${{a:-${{b:-...}}}}`): the instruction is not analysed"
_BRACKET = lazy(r"[(){}]")


def too_deep(text: str) -> bool:
    """Brackets open more than MAX_NESTING deep anywhere in `text` (quotes not considered:
    an upper bound of what a shell parser would nest). One pass, no recursion."""
    if text.count("(") + text.count("{") <= MAX_NESTING:
        return False
    depth = 0
    for m in _BRACKET.finditer(text):
        if m.group() in "({":
            depth += 1
            if depth > MAX_NESTING:
                return True
        elif depth:
            depth -= 1
    return False
