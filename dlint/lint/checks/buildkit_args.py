"""BuildKit's checks on build arguments and variables: UndefinedArgInFrom, UndefinedVar,
InvalidDefaultArgInFrom, FromPlatformFlagConstDisallowed.

BuildKit expands `$name` in FROM with the global ARGs and the automatic platform
ARGs, and in ENV, LABEL, ADD, COPY, WORKDIR, USER, VOLUME, STOPSIGNAL, ARG defaults
and `RUN --mount` with the stage's environment (dockerfile2llb/convert.go,
`dispatch`); a shell-form RUN, CMD or ENTRYPOINT is left to the shell. A variable
it cannot find is reported, with the nearest defined name (util/suggest: edit
distance under 3) as a hint. One pass over each stage, one scan of each word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Instruction, Stage
from dlint.parsing.arguments import unquote
from dlint.parsing.nesting import MAX_EXPANDED, too_deep
from dlint.parsing.platform import parse_platform

# defaultArgs (dockerfile2llb/platform.go): set for FROM lines, and for a stage that re-declares them.
PLATFORM_ARGS = {
    "BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDOSVERSION": "", "BUILDARCH": "amd64",
    "BUILDVARIANT": "", "TARGETPLATFORM": "linux/amd64", "TARGETOS": "linux", "TARGETOSVERSION": "",
    "TARGETARCH": "amd64", "TARGETVARIANT": "", "TARGETSTAGE": "default",
}  # fmt: skip
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})
# BuildKit reads an external base image's config; dlint cannot, and assumes what every image sets.
IMAGE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_EXPANDED = ("ENV", "LABEL", "ADD", "COPY", "WORKDIR", "USER", "VOLUME", "STOPSIGNAL")
_COPY_FLAGS = ("chown", "chmod", "checksum")


class Ref(NamedTuple):
    name: str
    at: int  # index of the `$` in the word
    modifier: str  # "" for `$x`/`${x}`, else ":-", "-", ":+", "+", "?" ... (the rest of `${x...}`)
    word: str  # the modifier's word, unexpanded
    end: int  # index past the reference


def references(word: str, escape: str = "\\") -> list[Ref]:
    """The `$name` references BuildKit's word lexer expands in `word`, outermost first.

    Single quotes and the escape character stop expansion, as in shell/lex.go;
    a nested `${a:-$b}` yields `a` then `b` (BuildKit looks both up).
    """
    out: list[Ref] = []
    if "$" in word and not too_deep(word):  # most words have none; a word nested too deep is DL1000
        _scan(word, 0, len(word), escape, out)
    return out


def _scan(word: str, i: int, stop: int, escape: str, out: list[Ref]) -> int:
    """Scan word[i:stop]; return where a closing `}` at depth 0 was met (or stop)."""
    quote = ""
    while i < stop:
        ch = word[i]
        if ch == escape and quote != "'":
            i += 2
            continue
        if quote == "'":
            quote = "" if ch == "'" else quote
        elif ch == "'" and not quote:
            quote = "'"
        elif ch == '"':
            quote = "" if quote else '"'
        elif ch == "}" and not quote:
            return i
        elif ch == "$":
            i = _dollar(word, i, stop, escape, out)
            continue
        i += 1
    return stop


def _dollar(word: str, at: int, stop: int, escape: str, out: list[Ref]) -> int:
    braced = at + 1 < stop and word[at + 1] == "{"
    m = _NAME.match(word, at + 2 if braced else at + 1, stop)
    if m is None:
        return at + (2 if braced else 1)
    if not braced:
        out.append(Ref(m.group(), at, "", "", m.end()))
        return m.end()
    j = m.end()
    mod = word[j:j + 2] if word.startswith(":", j) else word[j:j + 1]
    if mod == "}":
        out.append(Ref(m.group(), at, "", "", j + 1))
        return j + 1
    slot = len(out)
    out.append(Ref(m.group(), at, mod, "", j))
    end = _scan(word, j + len(mod), stop, escape, out)
    out[slot] = Ref(m.group(), at, mod, word[j + len(mod):end], min(end + 1, stop))
    return end + 1


def expand(word: str, env: dict[str, str], escape: str, budget: list[int]) -> str | None:
    """`word` with its variables replaced from `env` (quotes kept), or None where dlint
    would have to guess (`${x#...}`, `${x/...}` and the like) or the result would be
    longer than MAX_EXPANDED, or nested too deep to follow, or the file's `budget` of
    expanded characters is spent (_expand_budget)."""
    if budget[0] <= 0:
        return None
    expanded = _expand(word, env, escape)
    budget[0] -= len(expanded or "")
    return expanded


EXPAND_BUDGET = 4 << 20  # characters of expanded values per file: 64 values at MAX_EXPANDED


def _expand_budget(ctx: Context) -> list[int]:
    """One count per file: each copy of a long value is a new string kept in the scope, so 8,000
    `ENV Ai=$BIG` of a 32 KiB value took 280 MB (a file under 1 MB, about 3 GB)."""
    return ctx.memo.setdefault("buildkit expand budget", [EXPAND_BUDGET])


def _expand(word: str, env: dict[str, str], escape: str) -> str | None:
    if too_deep(word):
        return None
    parts: list[str] = []
    size = pos = 0
    refs = references(word, escape)
    skip_to = 0
    for ref in refs:
        if ref.at < skip_to:
            continue  # inside an outer reference's word
        parts.append(word[pos:ref.at])
        value = env.get(ref.name)
        unset = value is None or (ref.modifier.startswith(":") and not value)
        if ref.modifier == "":
            parts.append(value or "")
        elif ref.modifier in (":-", "-", ":+", "+"):
            inner = _expand(ref.word, env, escape)
            if inner is None:
                return None
            default = ref.modifier.endswith("-")
            if default:
                parts.append(inner if unset else value or "")
            else:
                parts.append("" if unset else inner)
        else:
            return None  # `${x:?}` fails the build when x is unset; `#`, `%`, `/` dlint does not evaluate
        size += ref.at - pos + len(parts[-1])
        if size > MAX_EXPANDED:
            return None
        pos = skip_to = ref.end
    parts.append(word[pos:])
    return "".join(parts)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggest(name: str, options: list[str], budget: list[int] | None = None) -> str:
    """util/suggest.Search (case-sensitive): the first option at the least distance under 3.
    `budget` (one count per file) bounds the work: once spent, no hint, so thousands of undefined
    names against thousands of defined ones stay linear (the finding is reported all the same)."""
    if budget is not None:
        budget[0] -= len(options)
        if budget[0] < 0:
            return ""
    best, least = "", 3
    for option in sorted(options):
        if option == name:
            return ""
        if abs(len(option) - len(name)) >= least:
            continue
        if budget is not None:
            budget[0] -= len(name) * len(option)
            if budget[0] < 0:
                return ""
        dist = levenshtein(name, option)
        if dist < least:
            best, least = option, dist
    return best


HINT_BUDGET = 300_000  # options scanned plus Levenshtein cells, per file, for "did you mean" hints


def _hint_budget(ctx: Context) -> list[int]:
    return ctx.memo.setdefault("buildkit hint budget", [HINT_BUDGET])


def _arg_pairs(instr: Instruction) -> Iterator[tuple[str, str | None]]:
    """(name, default or None) of each ARG word, quotes kept in the default."""
    for word in instr.values:
        name, sep, default = word.partition("=")
        yield name, default if sep else None


class _Globals(NamedTuple):
    values: dict[str, str]  # global ARGs with a default (expanded), the platform ARGs
    declared: frozenset[str]  # every global ARG name
    unknown: frozenset[str]  # defaults dlint cannot expand (`${x#...}`, longer than MAX_EXPANDED)


def _globals(ctx: Context) -> _Globals:
    """buildMetaArgs with no --build-arg: the global ARG defaults, each expanded with the ones before."""
    return ctx.per_file(_read_globals)


def _read_globals(ctx: Context) -> _Globals:
    esc = ctx.dockerfile.directives.escape
    values = dict(PLATFORM_ARGS)
    declared: set[str] = set()
    unknown: set[str] = set()
    for instr in ctx.dockerfile.global_args:
        if instr.keyword != "ARG":
            continue
        for name, default in _arg_pairs(instr):
            declared.add(name)
            if default is not None:
                expanded = expand(default, values, esc, _expand_budget(ctx))
                values[name] = unquote(expanded if expanded is not None else default, esc)
                lost = expanded is None or any(ref.name in unknown for ref in references(default, esc))
                (unknown.add if lost else unknown.discard)(name)
    return _Globals(values, frozenset(declared), frozenset(unknown))


def _from_words(stage: Stage) -> list[str]:
    words = [stage.base]
    if stage.platform:
        words.append(stage.platform)
    return words


@rule("DLB006")
def undefined_arg_in_from(ctx: Context) -> Iterator[Violation]:
    g = _globals(ctx)
    known = set(g.declared) | set(PLATFORM_ARGS)
    esc = ctx.dockerfile.directives.escape
    for stage in ctx.dockerfile.stages:
        seen: set[str] = set()
        for word in _from_words(stage):
            for ref in references(word, esc):
                if ref.name in known or ref.name in g.values or ref.name in seen:
                    continue
                seen.add(ref.name)
                hint = suggest(ref.name, list(known), _hint_budget(ctx))
                yield ctx.violation(
                    "DLB006",
                    f"FROM argument '{ref.name}' is not declared" + (f" (did you mean {hint}?)" if hint else ""),
                    stage.from_instruction,
                )


_DOMAIN = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = lazy(
    rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


def valid_reference(name: str) -> bool:
    """distribution/reference.ParseNormalizedNamed accepts `name` (a 64-hex id is refused).

    The length first: the regular expression takes milliseconds on a 32 KiB name (`FROM $BIG` in
    thousands of stages took minutes), and a name over 255 characters is refused anyway.
    """
    if re.fullmatch(r"[a-f0-9]{64}", name) or len(name.partition("@")[0].rsplit(":", 1)[0]) > 255:
        return False
    head, sep, rest = name.partition("/")
    if not sep or not ("." in head or ":" in head or head == "localhost" or head != head.lower()):
        rest = name  # no registry part: all of it is the lowercase path
    elif rest.partition("@")[0].partition(":")[0] != rest.partition("@")[0].partition(":")[0].lower():
        return False  # the repository path must be lowercase; a tag may not be
    return _REFERENCE.fullmatch(name) is not None


@rule("DLB010")
def invalid_default_arg_in_from(ctx: Context) -> Iterator[Violation]:
    g = _globals(ctx)
    esc = ctx.dockerfile.directives.escape
    for stage in ctx.dockerfile.stages:
        refs = references(stage.base, esc)  # a constant name is checked too, as BuildKit does (`FROM REPLACE-ME`)
        expanded = expand(stage.base, g.values, esc, _expand_budget(ctx))
        if expanded is None or any(ref.name in g.unknown for ref in refs):
            continue  # what dlint cannot expand it does not judge
        if not valid_reference(unquote(expanded, esc)):
            yield ctx.violation(
                "DLB010",
                f"Default value for ARG {stage.base} results in empty or invalid base image name",
                stage.from_instruction,
            )


@rule("DLB011")
def from_platform_flag_const(ctx: Context) -> Iterator[Violation]:
    esc = ctx.dockerfile.directives.escape
    for stage in ctx.dockerfile.stages:
        if not stage.platform or references(stage.platform, esc):
            continue
        value = unquote(stage.platform, esc)
        parsed = parse_platform(value)
        name = stage.alias or ""
        if parsed is None or parsed[0] in name or parsed[1] in name:
            continue
        yield ctx.violation(
            "DLB011", f"FROM --platform flag should not use constant value \"{value}\"", stage.from_instruction
        )


def _words(instr: Instruction) -> Iterator[str]:
    """The words BuildKit expands with the stage's environment (dispatch's Expand)."""
    keyword = instr.keyword
    if keyword in _EXPANDED:
        yield from instr.values
        if keyword in ("ADD", "COPY"):
            for flag in instr.flags:
                if flag.name in _COPY_FLAGS and flag.value:
                    yield flag.value
    elif keyword == "RUN":
        for flag in instr.flags_named("mount"):
            if flag.value:
                yield flag.value


class _Scope:
    """A stage's environment as BuildKit's dispatch grows it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.declared: set[str] = set()  # ARGs named in the stage: never undefined, even with no value


def _start(stage: Stage, ends: dict[int, dict[str, str]]) -> _Scope:
    """A stage FROM an earlier one inherits its environment; scratch has none; any other image PATH."""
    if stage.parent is not None and stage.parent in ends:
        return _Scope(dict(ends[stage.parent]))
    base = stage.base.strip().lower()
    return _Scope({} if base == "scratch" else dict(IMAGE_ENV))


@rule("DLB007")
def undefined_var(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    esc = df.directives.escape
    g = _globals(ctx)
    ends: dict[int, dict[str, str]] = {}
    for stage in df.stages:
        scope = _start(stage, ends)
        for instr in stage.instructions[1:]:
            if instr.keyword == "ARG":
                yield from _arg(ctx, instr, scope, g, esc)
                continue
            refs = [r for w in _words(instr) for r in references(w, esc)]
            if refs:
                yield from _report(ctx, instr, scope, refs)
            if instr.keyword == "ENV":
                _env(instr, scope, esc, _expand_budget(ctx))
        ends[stage.index] = scope.env


def _arg(ctx: Context, instr: Instruction, scope: _Scope, g: _Globals, esc: str) -> Iterator[Violation]:
    for name, default in _arg_pairs(instr):
        if default is not None:
            yield from _report(ctx, instr, scope, references(default, esc))
            value = expand(default, scope.env, esc, _expand_budget(ctx))
            if name not in NON_ENV_ARGS:
                scope.env[name] = unquote(value if value is not None else default, esc)
        elif name in g.values and name not in NON_ENV_ARGS:
            scope.env[name] = g.values[name]
        scope.declared.add(name)


def _env(instr: Instruction, scope: _Scope, esc: str, budget: list[int]) -> None:
    values = instr.values
    for i in range(0, len(values) - 2, 3):
        key, value = unquote(values[i], esc), values[i + 1]
        expanded = expand(value, scope.env, esc, budget)
        scope.env[key] = unquote(expanded if expanded is not None else value, esc)


def _report(ctx: Context, instr: Instruction, scope: _Scope, refs: list[Ref]) -> Iterator[Violation]:
    said: set[str] = set()
    for ref in refs:
        name = ref.name
        if name in scope.env or name in scope.declared or name in NON_ENV_ARGS or name in said:
            continue
        said.add(name)
        hint = suggest(name, list(scope.env), _hint_budget(ctx))
        yield ctx.violation(
            "DLB007",
            f"Usage of undefined variable '${name}'" + (f" (did you mean ${hint}?)" if hint else ""),
            instr,
        )
