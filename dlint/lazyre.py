"""Regular expressions compiled when first used, not when their module is imported.

`re` compiles in Python, a fraction of a millisecond per pattern: dlint's modules
hold about sixty and a one-file `dlint check` uses a handful (most serve
instructions, options or labels the file does not have), so compiling them all
at import was about a sixth of its start-up (README, Speed).
"""

from __future__ import annotations

import re
from typing import Any, cast


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        """Called only for an attribute not yet looked up (`match`, `sub`, ...): compiled once (re caches it),
        the attribute is then kept on the instance, so a later look-up costs what the compiled pattern's does."""
        value = getattr(re.compile(*self._args), name)
        setattr(self, name, value)
        return value


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Used as the pattern `re.compile(pattern, flags)` would give (its methods and attributes)."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags))
