"""How BuildKit splits one joined instruction line: keyword, flags, values, heredoc markers.

Each function ports one routine of BuildKit's `frontend/dockerfile/parser`
(split_command.go, line_parsers.go, the heredoc part of parser.go and the
word lexer of shell/lex.go) with its quirks, because rules must see what the
build sees: `--x` words are flags only before the first other word, a JSON
array with a non-string is an error but any other bad JSON is shell form, and
`<<EOF` starts a heredoc only where BuildKit's lexer finds it as a whole word.
Every span is an index into the line the caller passed in.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from dlint.lazyre import lazy
from dlint.parsing.nesting import MAX_NESTING
from dlint.parsing.numbers import capped_int
from dlint.parsing.nesting import MESSAGE as NESTING
from dlint.parsing.source import without_surrogates

# Go's unicode.IsSpace; Python's str.isspace() also counts \x1c-\x1f.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACE)
_TOKEN_SPACE = lazy(r"[\t\v\f\r ]+")  # BuildKit's tokenWhitespace / reWhitespace
_HEREDOC_WORD = lazy(r"([0-9]*)<<(-?)([^<]*)")
_GO_SPACES = lazy(f"[{GO_SPACE}]+")
_PLAIN_WORD = lazy(f"[^{GO_SPACE}'\"\\\\]*")  # a word with no quote, escape or space

KEYWORDS = frozenset(
    "add arg cmd copy entrypoint env expose from healthcheck label maintainer "
    "onbuild run shell stopsignal user volume workdir".split()
)
HEREDOC_KEYWORDS = frozenset({"add", "copy", "run"})


class ArgumentError(Exception):
    """An instruction BuildKit's parser rejects; the message is BuildKit's."""


class FlagWord(NamedTuple):
    text: str  # the flag after quote and escape removal: "--mount=type=cache"
    start: int
    end: int


class Split(NamedTuple):
    """One instruction line cut the way splitCommand cuts it."""

    keyword: str  # as written
    keyword_start: int
    flags: tuple[FlagWord, ...]
    args_start: int
    args_end: int


def strip_span(line: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without Go-whitespace at either side (strings.TrimSpace)."""
    while start < end and line[start] in _GO_SPACE_SET:
        start += 1
    while end > start and line[end - 1] in _GO_SPACE_SET:
        end -= 1
    return start, end


def split_command(line: str, start: int = 0, end: int | None = None) -> Split:
    """splitCommand: keyword, then leading `--flag` words, then the arguments."""
    start, end = strip_span(line, start, len(line) if end is None else end)
    gap = _TOKEN_SPACE.search(line, start, end)
    if gap is None:
        return Split(line[start:end], start, (), end, end)
    flags, rest = extract_flags(line, gap.end(), end)
    args_start, args_end = strip_span(line, rest, end)
    return Split(line[start : gap.start()], start, flags, args_start, args_end)


def extract_flags(line: str, pos: int, end: int) -> tuple[tuple[FlagWord, ...], int]:
    """extractBuilderFlags: the `--x` words at `pos` and where the arguments start.

    Quotes and backslashes inside a flag word are removed as BuildKit does;
    a bare `--` ends the flags and is dropped. BuildKit walks bytes here, so a
    non-ASCII character in a flag reaches it mangled (é -> Ã©); dlint keeps it.
    """
    flags: list[FlagWord] = []
    while True:
        while pos < end and line[pos] in _GO_SPACE_SET:
            pos += 1
        if not line.startswith("--", pos, end):
            return tuple(flags), pos
        start = pos
        pos = _PLAIN_WORD.match(line, pos, end).end()  # type: ignore[union-attr]
        if pos == end or line[pos] in _GO_SPACE_SET:
            text, blank_ok = line[start:pos], False
        else:
            text, blank_ok, pos = _quoted_flag(line, start, end)
        if text == "--":
            return tuple(flags), pos
        if blank_ok or text:
            flags.append(FlagWord(text, start, pos))


def _quoted_flag(line: str, pos: int, end: int) -> tuple[str, bool, int]:
    """The rest of extractBuilderFlags' word loop, for a word with quotes or backslashes."""
    word: list[str] = []
    blank_ok = False
    quote = ""
    while pos < end:
        ch = line[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\":
                if pos + 1 == end:
                    quote = ""
                else:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
        elif ch in _GO_SPACE_SET:
            break
        elif ch in "'\"":
            quote = ch
            blank_ok = True
        elif ch == "\\":
            if pos + 1 < end:
                pos += 1
                word.append(line[pos])
        else:
            word.append(ch)
        pos += 1
    return "".join(word), blank_ok, pos


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords: split on whitespace outside quotes, keeping quotes and escapes."""
    if "'" not in rest and '"' not in rest and escape not in rest:
        return _GO_SPACES.split(rest.strip(GO_SPACE)) if rest.strip(GO_SPACE) else []
    words: list[str] = []
    word: list[str] = []
    in_word = False
    blank_ok = False
    quote = ""
    pos = 0
    n = len(rest)
    while pos < n:
        ch = rest[pos]
        if not in_word:
            if ch in _GO_SPACE_SET:
                pos += 1
                continue
            in_word = True
        if not quote and ch in _GO_SPACE_SET:
            if blank_ok or word:
                words.append("".join(word))
            word = []
            blank_ok = False
            in_word = False
            pos += 1
            continue
        if not quote and ch in "'\"":
            quote = ch
            blank_ok = True
        elif quote and ch == quote:
            quote = ""
        elif ch == escape and quote != "'":  # the escape keeps the next character, in words and "..."
            if pos + 1 == n:
                break
            word.append(ch)
            pos += 1
            ch = rest[pos]
        word.append(ch)
        pos += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # Go's encoding/json has no NaN or Infinity


def _go_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)  # Go fails the whole array on an out-of-range number
    return value


def parse_json(rest: str) -> tuple[str, ...] | None:
    """parseJSON: the exec-form strings, or None when `rest` is not a JSON array.

    Raises ArgumentError for an array holding something other than strings.
    """
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest, parse_constant=_reject_constant, parse_float=_go_float)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise ArgumentError("when using JSON array syntax, arrays must be comprised of strings only")
    return tuple(without_surrogates(v) for v in value)  # as Go decodes a lone one


def _whitespace_list(rest: str) -> tuple[str, ...]:
    return tuple(_TOKEN_SPACE.split(rest)) if rest else ()


def _name_values(rest: str, keyword: str, escape: str) -> tuple[str, ...]:
    """parseNameVal for ENV and LABEL: (key, value, separator) triples."""
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0]:
        parts = _TOKEN_SPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ArgumentError(f"{keyword} must have two arguments")
        return (parts[0], parts[1], "")
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ArgumentError(
                f"Syntax error - can't find = in {json.dumps(word, ensure_ascii=False)}. "
                "Must be of the form: name=value"
            )
        key, _, value = word.partition("=")
        out += (key, value, "=")
    return tuple(out)


def _maybe_json(rest: str) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if not rest:
        return (), None
    exec_form = parse_json(rest)
    return (exec_form, exec_form) if exec_form is not None else ((rest,), None)


def parse_values(keyword: str, rest: str, escape: str) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """BuildKit's dispatch table: (node values, exec-form JSON or None) for one instruction.

    `keyword` is lower case; ONBUILD is the caller's business (it recurses).
    Raises ArgumentError where BuildKit's line parsers fail.
    """
    if keyword in ("run", "cmd", "entrypoint", "shell"):
        return _maybe_json(rest)
    if keyword in ("add", "copy", "volume"):
        exec_form = parse_json(rest)
        return (exec_form, exec_form) if exec_form is not None else (_whitespace_list(rest), None)
    if keyword in ("from", "expose"):
        return _whitespace_list(rest), None
    if keyword in ("env", "label"):
        return _name_values(rest, keyword.upper(), escape), None
    if keyword == "arg":
        return tuple(parse_words(rest, escape)), None
    if keyword == "healthcheck":
        sep = next((i for i, ch in enumerate(rest) if ch in _GO_SPACE_SET), len(rest))
        if sep == 0:
            return (), None
        values, exec_form = _maybe_json(rest[sep:].lstrip(GO_SPACE))
        return (rest[:sep], *values), exec_form
    if keyword in ("maintainer", "stopsignal", "user", "workdir"):
        return ((rest,) if rest else ()), None
    return ("",), None  # parseIgnore: an unknown keyword keeps one empty value


# --- heredoc markers: BuildKit runs its shell word lexer over the whole line ---


class LexError(Exception):
    pass


class NestingError(Exception):
    """`${a:-${a:-...}}` past MAX_NESTING: reported, not recursed into."""


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


class _Words:
    """wordsStruct from shell/lex.go, including its handling of empty quoted words."""

    __slots__ = ("word", "words", "in_word")

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE_SET:
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw(ch)

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def done(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
        return self.words


class _ShellLexer:
    """BuildKit's shell.Lex with an empty environment and SkipUnsetEnv: splits and
    dequotes words, leaving every `$var` as written. Escape is always `\\`, as
    in parser.go's heredoc detection."""

    def __init__(self, src: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.src = src
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.depth = 0  # `${` open around pos: recursion stops at MAX_NESTING

    def words(self) -> list[str]:
        return self._until(None, self.raw_escapes)[1]

    def _peek(self) -> str:
        return self.src[self.pos] if self.pos < len(self.src) else ""

    def _next(self) -> str:
        ch = self._peek()
        self.pos += 1 if ch else 0
        return ch

    def _until(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while ch := self._peek():
            if ch == stop:
                self.pos += 1
                return "".join(result), words.done()
            if ch == "$":
                tmp = self._dollar()
                result.append(tmp)
                words.add_string(tmp)
            elif ch == "'":
                tmp = self._single_quote()
                result.append(tmp)
                words.add_raw(tmp)
            elif ch == '"':
                tmp = self._double_quote(raw_escapes)
                result.append(tmp)
                words.add_raw(tmp)
            else:
                self.pos += 1
                if ch == "\\":
                    if raw_escapes:
                        words.add_raw(ch)
                        result.append(ch)
                    ch = self._next()
                    if not ch:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop is not None:
            raise LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.done()

    def _single_quote(self) -> str:
        start = self.pos
        end = self.src.find("'", start + 1)
        if end < 0:
            raise LexError("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return self.src[start : end + 1] if self.raw_quotes else self.src[start + 1 : end]

    def _double_quote(self, raw_escapes: bool) -> str:
        self.pos += 1
        out = ['"'] if self.raw_quotes else []
        while True:
            ch = self._peek()
            if not ch:
                raise LexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.pos += 1
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            self.pos += 1
            if ch == "\\":
                if raw_escapes:
                    out.append(ch)
                nxt = self._peek()
                if not nxt:
                    continue
                if nxt in '"$\\':
                    ch = self._next()
            out.append(ch)

    def _name(self) -> str:
        start = self.pos
        ch = self._peek()
        if ch.isdecimal():
            while self._peek().isdecimal():
                self.pos += 1
            return self.src[start : self.pos]
        if ch in _SPECIAL_PARAMS and ch:
            self.pos += 1
            return ch
        while (ch := self._peek()) and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.pos += 1
        return self.src[start : self.pos]

    def _dollar(self) -> str:
        self.pos += 1
        if self._peek() != "{":
            name = self._name()
            return "$" + name
        self.pos += 1
        ch = self._peek()
        if not ch:
            raise LexError("syntax error: missing '}'")
        if ch in "{}:":
            raise LexError("syntax error: bad substitution")
        name = self._name()
        ch = self._next()
        modifier = ch or "\ufffd"  # Go prints EOF as U+FFFD
        if ch == "}":
            return "${" + name + "}"
        if ch == ":":
            ch = self._next()
            modifier += ch or "\ufffd"
            return self._modified(name, modifier, raw_escapes=ch in ("#", "%"))
        if ch and ch in "+-?#%":
            return self._modified(name, modifier, raw_escapes=ch in "#%")
        if ch == "/":
            if self._peek() == "/":
                self.pos += 1
            pattern = self._stop_on("/", "syntax error: missing '/' in ${}")
            replacement = self._stop_on("}", "syntax error: missing '}'")
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        raise LexError(f"unsupported modifier ({modifier}) in substitution")

    def _modified(self, name: str, modifier: str, raw_escapes: bool) -> str:
        if self.depth >= MAX_NESTING:
            raise NestingError(NESTING)
        self.depth += 1
        word = self._stop_on("}", "syntax error: missing '}'", raw_escapes)
        self.depth -= 1
        return "${" + name + modifier + word + "}"

    def _stop_on(self, stop: str, eof_message: str, raw_escapes: bool = True) -> str:
        try:
            return self._until(stop, raw_escapes)[0]
        except LexError:
            if not self._peek():
                raise LexError(eof_message) from None
            raise


class HeredocMarker(NamedTuple):
    name: str
    fd: int
    chomp: bool
    expand: bool


def heredoc_markers(line: str) -> list[HeredocMarker]:
    """heredocsFromLine: the `<<NAME` words of a joined RUN/COPY/ADD line, in order.

    A line BuildKit's lexer cannot split (an unclosed quote) has no heredocs;
    a marker whose name cannot be lexed raises ArgumentError, as in BuildKit.
    """
    try:
        words = _ShellLexer(line, raw_quotes=True, raw_escapes=True).words()
    except NestingError as e:
        raise ArgumentError(str(e)) from None
    except LexError:
        return []
    markers = []
    for word in words:
        m = _HEREDOC_WORD.fullmatch(word)
        if m is None or not m.group(3):
            continue
        rest = m.group(3)
        try:
            plain = _ShellLexer(rest, raw_quotes=False, raw_escapes=False).words()
            if len(plain) != 1:
                continue
            raw = _ShellLexer(rest, raw_quotes=True, raw_escapes=False).words()
        except (LexError, NestingError) as e:
            raise ArgumentError(f"failed to process {json.dumps(rest, ensure_ascii=False)}: {e}") from None
        if len(raw) != 1:
            raise ArgumentError(f"internal lexing of heredoc produced inconsistent results: {rest}")
        quotes = plain[0].count("'") + plain[0].count('"')
        raw_quotes = raw[0].count("'") + raw[0].count('"')
        fd = min(capped_int(m.group(1)), 2**64 - 1) if m.group(1) else 0
        markers.append(HeredocMarker(plain[0], fd, m.group(2) == "-", quotes == raw_quotes))
    return markers


def unquote(word: str, escape: str = "\\") -> str:
    """What BuildKit's word lexer makes of `word`: quotes and escapes removed, `$x` kept.

    With a backtick escape (Windows files) a backslash is an ordinary character: `C:\\app`.
    """
    if escape not in word and "'" not in word and '"' not in word:
        return word  # nothing to remove: most operands
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif ch == escape and i + 1 < len(word) and (not quote or word[i + 1] in (quote, escape, "$")):
            i += 1
            out.append(word[i])
        elif ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)
