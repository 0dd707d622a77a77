"""Which `--flags` each instruction accepts and what their values may be, as BuildKit checks them.

A port of BuildKit's dockerfile frontend: the flags each parser in
instructions/parse.go registers, BFlags.Parse (bflag.go) for names, values and
booleans, the RUN hooks for `--device`, `--network` and `--security`, and
parseMount (commands_runmount.go) for `--mount`'s keys as a build expands them.
Messages are BuildKit's own. BuildKit stops at an instruction's first error, so
`check` returns at most one. A `--mount` value the build would expand (`$`,
quotes, backslashes) is not judged: dlint cannot see what it becomes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.model import Flag, Instruction
from dlint.parsing.numbers import MAX_DIGITS, capped_int

BOOL, STRING, STRINGS = "bool", "string", "strings"  # BuildKit's AddBool, AddString, AddStrings

ACCEPTED: dict[str, dict[str, str]] = {
    "ADD": {
        "chown": STRING, "chmod": STRING, "link": BOOL, "keep-git-dir": BOOL,
        "checksum": STRING, "unpack": BOOL, "exclude": STRINGS,
    },
    "COPY": {"chown": STRING, "from": STRING, "chmod": STRING, "link": BOOL, "exclude": STRINGS, "parents": BOOL},
    "FROM": {"platform": STRING},
    "RUN": {"device": STRINGS, "mount": STRINGS, "network": STRING, "security": STRING},
    "HEALTHCHECK": {"interval": STRING, "timeout": STRING, "start-period": STRING, "start-interval": STRING,
                    "retries": STRING},
}
# The instructions whose parser calls BFlags.Parse; BuildKit ignores any flag on ARG and STOPSIGNAL.
CHECKED = frozenset({
    "ADD", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN", "SHELL", "USER", "VOLUME", "WORKDIR",
})

NETWORKS = ("default", "none", "host")
SECURITY = ("insecure", "sandbox")
MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING = ("shared", "private", "locked")
MOUNT_KEYS = (
    "type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid",
    "src", "dst", "destination", "ro", "rw", "readwrite", "env",
)
_GO_BOOL = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})  # ParseBool
_EXPANDED = lazy(r"[$'\"\\]")  # a value the build's shell lexer would rewrite
_OCTAL = lazy(r"[0-7]+")
_DECIMAL = lazy(r"[0-9]+")
_DURATION_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
                   "h": 3600 * 10**9}
_DURATION_PART = lazy(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


# `# syntax=` images whose flags these tables describe; another frontend may take other flags.
_DOCKERFILE_FRONTEND = lazy(r"((docker\.io|registry-1\.docker\.io)/)?docker/dockerfile(-upstream)?(:[\w.-]+)?(@\S+)?")


def known_frontend(syntax: str | None) -> bool:
    """No `# syntax=` (the builder's own frontend) or BuildKit's Dockerfile frontend image."""
    return syntax is None or _DOCKERFILE_FRONTEND.fullmatch(syntax.strip().lower()) is not None


class FlagError(NamedTuple):
    message: str
    flag: Flag


def check(ins: Instruction) -> FlagError | None:
    """BuildKit's first complaint about the flags of `ins` (not its trigger), or None."""
    keyword = ins.keyword
    if keyword not in CHECKED or (keyword == "HEALTHCHECK" and (not ins.values or ins.values[0].upper() == "NONE")):
        return None  # HEALTHCHECK NONE (or without arguments) is refused before its flags are read
    accepted = ACCEPTED.get(keyword, {})
    seen: set[str] = set()
    for flag in ins.flags:
        message = _parse_error(flag, accepted, seen)
        if message:
            return FlagError(message, flag)
    if keyword == "HEALTHCHECK" and (ins.values[0].upper() != "CMD" or len(ins.values) < 2):
        return None  # refused for its type or missing command first, not for a flag
    for name, value_error in VALUE_CHECKS.get(keyword, ()):
        for flag in ins.flags_named(name):
            message = value_error(flag.value or "")
            if message:
                return FlagError(message, flag)
    return None


def _parse_error(flag: Flag, accepted: dict[str, str], seen: set[str]) -> str | None:
    """BFlags.Parse for one flag."""
    shown = "--" + flag.name
    kind = accepted.get(flag.name)
    if kind is None:
        return suggest(f"unknown flag: {shown}", flag.name, list(accepted))
    if flag.name in seen and kind != STRINGS:
        return f"duplicate flag specified: {shown}"
    seen.add(flag.name)
    if kind != BOOL:
        return f"missing a value on flag: {shown}" if flag.value is None else None
    if flag.value == "":
        return f"missing a value on flag: {shown}"
    if flag.value is not None and flag.value.lower() not in ("true", "false"):
        return f"expecting boolean value for flag {shown}, not: {flag.value}"
    return None


# --- RUN --mount and --device -------------------------------------------------------------------


def network_error(value: str) -> str | None:
    return None if value in NETWORKS else f"invalid network mode {go_quote(value)}"


def security_error(value: str) -> str | None:
    return None if value in SECURITY else f"security {go_quote(value)} is not valid"


def mount_parse_error(value: str) -> str | None:
    """parseMount at parse time (no expander): the CSV, and `from` naming no variable."""
    fields = csv_fields(value)
    if isinstance(fields, str):
        return f"failed to parse csv mounts: {fields}"
    for key, sep, val in (f.partition("=") for f in fields):
        if sep and key.lower() == "from" and "$" in val[:-1]:
            return "'from' doesn't support variable expansion, define alias stage instead"
    return None


def mount_error(value: str) -> str | None:
    """parseMount as the build expands each value (after mount_parse_error passed)."""
    fields = csv_fields(value)
    if isinstance(fields, str):
        return None
    pairs = [(key.lower(), sep, val) for key, sep, val in (f.partition("=") for f in fields)]
    mount_type: str | None = "bind"  # None: an expanded value, unknown here
    given: dict[str, bool] = {}  # key (canonical name) -> its value is non-empty or unknown (counts as given)
    for field, (key, sep, val) in zip(fields, pairs):
        if not sep:
            if key in ("readonly", "ro", "readwrite", "rw"):
                continue
            if key != "required":
                return f"invalid field '{field}' must be a key=value pair"
            if mount_type not in (None, "secret", "ssh"):
                return f"unexpected key '{key}' for mount type '{mount_type}'"
            continue
        if _EXPANDED.search(val):
            if key == "type":
                mount_type = None
            if key in MOUNT_KEYS:
                given[_canonical(key)] = True
                continue
        message = _mount_field_error(key, val, field, mount_type)
        if message:
            return message
        if key == "type":
            mount_type = val.lower()
        given[_canonical(key)] = val != ""
    return None if mount_type is None else _mount_error(mount_type, given)


def _canonical(key: str) -> str:
    return {"src": "source", "dst": "target", "destination": "target", "ro": "readonly", "rw": "readonly",
            "readwrite": "readonly"}.get(key, key)


def _mount_field_error(key: str, val: str, field: str, mount_type: str | None) -> str | None:
    if key == "type":
        if val.lower() not in MOUNT_TYPES:
            return suggest(f"unsupported mount type {go_quote(val)}", val, list(MOUNT_TYPES))
    elif key in ("readonly", "ro", "readwrite", "rw"):
        if val not in _GO_BOOL:
            return f"invalid value for {key}: {val}"
    elif key in ("required", "size"):
        if mount_type is not None and mount_type not in (("secret", "ssh") if key == "required" else ("tmpfs",)):
            return f"unexpected key '{key}' for mount type '{mount_type}'"
        if key == "required" and val not in _GO_BOOL:
            return f"invalid value for {key}: {val}"
    elif key == "sharing":
        if val.lower() not in SHARING:
            return suggest(f"unsupported sharing value {go_quote(val)}", val, list(SHARING))
    elif key in ("mode", "uid", "gid"):
        if not _go_uint32(val, _OCTAL if key == "mode" else _DECIMAL, 8 if key == "mode" else 10):
            return f"invalid value {val} for {key}"
    elif key not in MOUNT_KEYS:
        return suggest(f"unexpected key '{key}' in '{field}'", key, list(MOUNT_KEYS))
    return None


def _mount_error(mount_type: str, given: dict[str, bool]) -> str | None:
    """parseMount's checks of the whole mount, for a known type."""
    if mount_type not in ("secret", "ssh", "cache"):
        for key in ("mode", "uid", "gid"):
            if key in given:
                return f"{key} not allowed for {go_quote(mount_type)} type mounts"
    if mount_type == "secret":
        if given.get("from"):
            return "secret mount should not have a from"
        if given.get("sharing"):
            return "secret mount should not define sharing"
        if not (given.get("source") or given.get("target") or given.get("id")):
            return "invalid secret mount. one of source, target required"
    if given.get("sharing") and mount_type != "cache":
        return f"invalid cache sharing set for {mount_type} mount"
    return None


def device_error(value: str) -> str | None:
    """ParseDevice: a name, `required`, `name=`, `required=`; no expansion."""
    fields = csv_fields(value)
    if isinstance(fields, str):
        return f"failed to parse csv devices: {fields}"
    name = ""
    for field in fields:
        key, sep, val = field.partition("=")
        key = key.lower()
        if key == "required" and not sep:
            continue
        if key == "name" and sep:
            if name:
                return f"device name already set to {name}"
            name = val
        elif key == "required":
            if val not in _GO_BOOL:
                return f"invalid value for {key}: {val}"
        elif not name:
            name = field
        elif not sep:
            return f"invalid field '{field}' must be a key=value pair"
        else:
            return suggest(f"unexpected key '{key}' in '{field}'", key, ["name", "required"])
    return None


def csv_fields(line: str) -> list[str] | str:
    """go-csvvalue's Fields: the comma-separated fields of one line, or Go's error text."""
    if line.endswith("\n"):
        line = line[:-2] if line.endswith("\r\n") else line[:-1]
    if not line:
        return "EOF"
    fields: list[str] = []
    pos = 0
    while True:
        if not line.startswith('"', pos):
            comma = line.find(",", pos)
            field = line[pos : comma if comma >= 0 else len(line)]
            if '"' in field:
                return _csv_error(line, pos + field.index('"'), 'bare " in non-quoted-field')
            fields.append(field)
            if comma < 0:
                return fields
            pos = comma + 1
            continue
        pos += 1
        parts: list[str] = []
        while True:
            quote = line.find('"', pos)
            if quote < 0:
                return _csv_error(line, pos, 'extraneous or missing " in quoted-field')
            parts.append(line[pos:quote])
            pos = quote + 1
            if line.startswith('"', pos):
                parts.append('"')
                pos += 1
            elif line.startswith(",", pos) or pos == len(line):
                break
            else:
                return _csv_error(line, pos - 1, 'extraneous or missing " in quoted-field')
        fields.append("".join(parts))
        if pos == len(line):
            return fields
        pos += 1


def _csv_error(line: str, pos: int, what: str) -> str:
    column = len(line[:pos].encode("utf-8", "surrogatepass")) + 1  # Go counts bytes
    return f"parse error on line 1, column {column}: {what}"


def _go_uint32(text: str, digits: re.Pattern[str], base: int) -> bool:
    """strconv.ParseUint(text, base, 32) succeeds."""
    return digits.fullmatch(text) is not None and capped_int(text, base) < 2**32


# --- HEALTHCHECK durations and retries ----------------------------------------------------------


def _interval_error(name: str, value: str) -> str | None:
    """parseOptInterval: a Go duration, 0 or at least 1ms."""
    nanos = go_duration(value)
    if isinstance(nanos, str):
        return nanos
    if nanos != 0 and nanos < 10**6:
        return f"Interval {go_quote(name)} cannot be less than 1ms"
    return None


def go_duration(text: str) -> int | str:
    """time.ParseDuration: nanoseconds, or Go's error message."""
    invalid = f"time: invalid duration {go_quote(text)}"
    rest, sign = text, 1
    if rest[:1] in ("-", "+"):
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return invalid
    total, pos = 0, 0
    while pos < len(rest):
        if not (rest[pos] == "." or rest[pos] in "0123456789"):
            return invalid
        m = _DURATION_PART.match(rest, pos)
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)  # type: ignore[union-attr]
        if not whole and not frac:
            return invalid
        if not unit:
            return f"time: missing unit in duration {go_quote(text)}"
        scale = _DURATION_UNITS.get(unit)
        if scale is None:
            return f"time: unknown unit {go_quote(unit)} in duration {go_quote(text)}"
        if whole and capped_int(whole) > (2**63) // scale:
            return invalid
        frac = frac[:MAX_DIGITS]  # digits past a nanosecond of an hour change nothing
        total += int(whole or "0") * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)
        if total > 2**63:
            return invalid
        pos = m.end()  # type: ignore[union-attr]
    if sign > 0 and total > 2**63 - 1:
        return invalid
    return sign * total


def _retries_error(value: str) -> str | None:
    """strconv.ParseInt(value, 10, 32), then not negative."""
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        return f"strconv.ParseInt: parsing {go_quote(value)}: invalid syntax"
    number = capped_int(value)
    if not -(2**31) <= number < 2**31:
        return f"strconv.ParseInt: parsing {go_quote(value)}: value out of range"
    return f"--retries cannot be negative ({number})" if number < 0 else None


def _durations(name: str) -> tuple[str, Callable[[str], str | None]]:
    return name, lambda value: value and _interval_error(name, value)


# Per instruction, in BuildKit's order: (flag name, its value's first error).
VALUE_CHECKS: dict[str, tuple[tuple[str, Callable[[str], str | None]], ...]] = {
    "RUN": (("device", device_error), ("mount", mount_parse_error), ("network", network_error),
            ("security", security_error), ("mount", mount_error)),
    "HEALTHCHECK": (*map(_durations, ("interval", "timeout", "start-period", "start-interval")),
                    ("retries", lambda value: value and _retries_error(value))),
}


# --- Go's wording -------------------------------------------------------------------------------


def suggest(message: str, value: str, options: list[str]) -> str:
    """suggest.WrapError: ` (did you mean X?)` for the closest option under Levenshtein distance 3."""
    best, distance = "", 3
    for option in options:
        if option == value:
            return message
        d = _levenshtein(value, option, distance)
        if d < distance:
            best, distance = option, d
    return f"{message} (did you mean {best}?)" if best else message


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance of a and b, or `limit` once it cannot be below it (a may be long, b is short)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}


def go_quote(text: str) -> str:
    """strconv.Quote (Go's %q): escapes for quotes, backslashes and what does not print."""
    out = []
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'
