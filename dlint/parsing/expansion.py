"""What a `$NAME` word hands a command: the RUN's own assignments, else the stage's ENV and ARG.

`INSTALL_PKGS="rsync tar" && yum install $INSTALL_PKGS` installs two unpinned
packages; the package rules need those words. Only a word that is one
expansion (`$NAME`, `${NAME}`, either in double quotes) is read, and only when
dlint can tell the value for certain: an assignment that has surely run
before the use (earlier in the script, or earlier in the same `&&` chain), in
the same shell, with a plain string value. A value from `$(...)`, a variable
also set inside a loop, `if`, subshell or function, one `read`, `unset` or
`eval` may have changed, and `${NAME:-...}` forms all stay unknown.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from dlint.lazyre import lazy
from dlint.parsing.shell import Binding, Command, Place, Script, Word

Outer = Callable[[str], str | None]  # the value ENV/ARG give a name at this RUN; None when unknown

_USE = lazy(r'(")?\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})(?(1)")')
_IFS_BLANKS = lazy(r"[ \t\n]+")  # default IFS: what an unquoted expansion is split on
_GLOB = lazy(r"[*?\[]")  # an unquoted expansion is matched against files: unknown result
_UNTOUCHED = (False, None)


def nothing(_name: str) -> str | None:
    return None


def dominates(binding: Place, use: Place) -> bool:
    """The assignment at `binding` has certainly run when the command at `use` (later in the
    same script) runs: it leads its statement, or both sit in one `&&` chain."""
    if binding.statement == use.statement:
        return binding.element < use.element and (binding.element == 0 or (binding.ands and use.ands))
    return binding.element == 0


class Variables:
    """A script's assignments, indexed per (name, script) on first use so each look-up bisects."""

    def __init__(self, script: Script, outer: Outer = nothing) -> None:
        self.script = script
        self.outer = outer
        self._index: dict[tuple[str, int], tuple[list[int], list[Binding]]] | None = None
        self._nested: set[tuple[str, int]] = set()  # set inside a loop, `if`, subshell...: unknown throughout
        self._scopes: dict[str, set[int]] = {}  # which scripts of the RUN touch the name

    def words(self, command: Command, word: Word) -> tuple[str, ...] | None:
        """The words `word` expands to at `command`, or None when dlint cannot tell."""
        use = _USE.fullmatch(word.raw)
        if use is None or self.script.errors:
            return None
        name = use.group(2) or use.group(3)
        value = self.value(name, command.place, word.start_offset)
        if value is None:
            return None
        if use.group(1):  # "$NAME": one word, exactly the value
            return (value,) if value and not _IFS_BLANKS.search(value) else None
        if not self._default_ifs(command.place, word.start_offset):
            return None
        pieces = tuple(p for p in _IFS_BLANKS.split(value) if p)
        return None if any(_GLOB.search(p) for p in pieces) else pieces

    def value(self, name: str, place: Place, offset: int) -> str | None:
        """What `$name` holds at `offset` in the script at `place`; None when unknown."""
        if not place.knowable:
            return None
        touched, value = self._own(name, place, offset)
        if touched:
            return value
        return None if self._elsewhere(name, place) else self.outer(name)

    def _default_ifs(self, place: Place, offset: int) -> bool:
        return (self._own("IFS", place, offset) == _UNTOUCHED and not self._elsewhere("IFS", place)
                and self.outer("IFS") is None)  # fmt: skip

    def _elsewhere(self, name: str, place: Place) -> bool:
        """Another script of the RUN sets it: an `sh -c` inherits exported changes, the outer shell
        expands before an inner one runs. Too tangled to follow."""
        self._build()
        return bool((self._scopes.get(name, set()) | self._scopes.get("", set())) - {place.scope})

    def _own(self, name: str, place: Place, offset: int) -> tuple[bool, str | None]:
        """(touched, value): whether this script set `name` before `offset`, and to what (None: unknown)."""
        index = self._build()
        scope = place.scope
        if (name, scope) in self._nested or ("", scope) in self._nested:
            return True, None
        latest = max((_before(index.get(key), offset) for key in ((name, scope), ("", scope))),
                     key=lambda b: -1 if b is None else b.offset, default=None)  # fmt: skip
        if latest is None:
            return _UNTOUCHED
        if latest.value is None or not dominates(latest.place, place):
            return True, None
        return True, latest.value

    def _build(self) -> dict[tuple[str, int], tuple[list[int], list[Binding]]]:
        if self._index is None:
            self._index = {}
            for b in self.script.bindings:
                key = (b.name, b.place.scope)
                offsets, found = self._index.setdefault(key, ([], []))
                offsets.append(b.offset)
                found.append(b)
                if b.place.nested:
                    self._nested.add(key)
                self._scopes.setdefault(b.name, set()).add(b.place.scope)
            for offsets, found in self._index.values():  # bisection needs source order
                found.sort(key=_offset)
                offsets[:] = [b.offset for b in found]
        return self._index


def _offset(binding: Binding) -> int:
    return binding.offset


def _before(entry: tuple[list[int], list[Binding]] | None, offset: int) -> Binding | None:
    """The last binding before `offset` (bindings of one script are in source order)."""
    if entry is None:
        return None
    offsets, found = entry
    i = bisect.bisect_left(offsets, offset)
    return found[i - 1] if i else None
