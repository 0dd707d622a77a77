"""Typed record classes for the modules `dlint check` imports: the part of `dataclasses` dlint uses, cheaply.

`import dataclasses` imports `inspect` (and with it `ast`, `dis`, `tokenize`), and
each `@dataclass` compiles five or six generated methods: together about a third of
a one-file `dlint check` (README, Speed). Here only `__init__` is compiled (it runs
for every object, so it must be as fast as the standard one); equality, hashing,
`repr` and frozenness are shared functions over the fields. Type checkers read the
decorator as `dataclass` (PEP 681), and the behaviour matches it for what is used:
fields in annotation order, `field(default=, default_factory=, repr=, compare=,
hash=)`, `frozen=True` (hashable, assignments raise), `slots=True`, `replace()`.
Not supported (none of these classes needs them): inheritance between records,
`ClassVar`/`InitVar`, `__post_init__`, ordering, keyword-only fields.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING: Any = object()
_FACTORY = object()  # the default of an __init__ argument whose field has a default_factory


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record (dataclasses raises its own of the same name)."""


class Field:
    __slots__ = ("compare", "default", "default_factory", "hash", "name", "repr")

    def __init__(self, default: Any, default_factory: Any, repr: bool, compare: bool, hash: bool | None) -> None:
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.repr, self.compare, self.hash = repr, compare, hash


def field(
    *, default: Any = _MISSING, default_factory: Callable[[], Any] = _MISSING, repr: bool = True,
    compare: bool = True, hash: bool | None = None,
) -> Any:
    return Field(default, default_factory, repr, compare, hash)


@overload
def dataclass(cls: type[T], /) -> type[T]: ...
@overload
def dataclass(*, frozen: bool = False, slots: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: type[T] | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    """`@dataclass`, `@dataclass(frozen=True)`, `@dataclass(frozen=True, slots=True)`."""
    if cls is None:
        return lambda c: _process(c, frozen, slots)
    return _process(cls, frozen, slots)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy with some fields changed, as `dataclasses.replace`."""
    for f in type(obj).__record_fields__:  # type: ignore[attr-defined]
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def _process(cls: type[T], frozen: bool, slots: bool) -> type[T]:
    fields = _fields(cls)
    names = tuple(f.name for f in fields)
    body = cls.__dict__
    if slots:
        cls = _with_slots(cls, names)
    cls.__record_fields__ = fields  # type: ignore[attr-defined]
    cls.__match_args__ = names  # type: ignore[attr-defined]
    cls.__init__ = _init(cls, fields, frozen)  # type: ignore[misc]
    if "__repr__" not in body:
        cls.__repr__ = _repr(tuple(f.name for f in fields if f.repr))  # type: ignore[assignment]
    compared = _getter(tuple(f.name for f in fields if f.compare))
    if "__eq__" not in body:
        cls.__eq__ = _eq(compared)  # type: ignore[assignment]
    if frozen:
        cls.__hash__ = _hash(_getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))))
        cls.__setattr__ = _frozen_setattr  # type: ignore[assignment]
        cls.__delattr__ = _frozen_delattr  # type: ignore[assignment]
        if slots:  # the default unpickling assigns attributes, which frozen forbids
            cls.__getstate__ = lambda self: [getattr(self, n) for n in names]  # type: ignore[attr-defined]
            cls.__setstate__ = _setstate(names)  # type: ignore[attr-defined]
    elif "__hash__" not in body:
        cls.__hash__ = None  # type: ignore[assignment] - equal by value yet mutable: unhashable, as dataclasses
    return cls


def _fields(cls: type) -> tuple[Field, ...]:
    """The fields in annotation order; each default that is no factory stays a class attribute (as dataclasses)."""
    fields = []
    for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063 - strings, never evaluated
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, Field) else Field(value, _MISSING, True, True, None)
        if isinstance(f.default, (list, dict, set)):
            raise ValueError(f"mutable default for field {name}: use default_factory")  # noqa: TRY004 - as dataclasses
        f.name = name
        if f.default is _MISSING:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, f.default)
        fields.append(f)
    return tuple(fields)


def _with_slots(cls: type[T], names: tuple[str, ...]) -> type[T]:
    """The class made again with `__slots__` (they cannot be added to an existing class), defaults removed."""
    body = {k: v for k, v in cls.__dict__.items() if k not in names and k not in ("__dict__", "__weakref__")}
    body["__slots__"] = names
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


def _init(cls: type, fields: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    """The one generated method: plain assignments, compiled, so creating an object costs what it does
    with dataclasses."""
    scope: dict[str, Any] = {"_FACTORY": _FACTORY, "_set": object.__setattr__}
    params, lines = [], []
    for f in fields:
        value = f.name
        if f.default_factory is not _MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        elif f.default is not _MISSING:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        lines.append(f"_set(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    source = f"def __init__(self, {', '.join(params)}):\n " + ("\n ".join(lines) or "pass")
    exec(source, scope)  # noqa: S102 - the source is built from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The named fields of an object as a tuple (attrgetter gives a bare value for one name)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"

    return __repr__


def _eq(key: Callable[[Any], tuple]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple]) -> Callable[[Any], int]:
    return lambda self: hash(key(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _setstate(names: tuple[str, ...]) -> Callable[[Any, list], None]:
    def __setstate__(self: Any, state: list) -> None:
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    return __setstate__
