"""The shell view of a RUN: the simple commands it executes, with file positions.

Rules ask "does this RUN run `apt-get update`?", so they need commands, not
text. tree-sitter-bash does the parsing (fast, and it never gives up on broken
input); this module flattens its tree into `Command`s, sees through wrappers
(`sudo`, `env`, `sh -c "..."`, ...) and maps every word back to a file offset,
through continuation lines, heredoc bodies and quoted `sh -c` strings alike.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from dlint.lazyre import lazy
from dlint.model import Dockerfile, Heredoc, Instruction, Segment, SourceMap
from dlint.parsing.nesting import too_deep
from dlint.parsing.source import without_surrogates

if TYPE_CHECKING:  # tree_sitter is imported lazily: `import dlint.parsing.shell` stays cheap
    from tree_sitter import Node, Parser, Tree

DEFAULT_SHELL: tuple[str, ...] = ("/bin/sh", "-c")
WINDOWS_DEFAULT_SHELL: tuple[str, ...] = ("cmd", "/S", "/C")

# Shells whose `-c STRING` (or stdin script) we parse as POSIX shell.
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh"})
# Shells whose language is not POSIX sh: their RUNs are not parsed, so no shell rule reports or fixes them.
_NON_POSIX_SHELLS = frozenset({"powershell", "pwsh", "cmd", "fish", "nu", "xonsh", "elvish", "csh", "tcsh"})

# Nodes whose text the shell replaces at run time: kept verbatim in Word.value.
_EXPANSIONS = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "arithmetic_expansion",
        "process_substitution",
    }
)
_CONDITION_OWNERS = frozenset({"if_statement", "elif_clause", "while_statement", "until_statement"})
_CONDITION_ENDS = frozenset({"then", "do_group"})
_MAX_DEPTH = 8  # nested `sh -c` strings parsed at most this deep
# A longer script is not parsed (DL1000's `max-script-size` changes it): the longest RUN among the
# corpus's real files is 4.6 KB, and a shell view costs up to ~500 bytes per byte of script while
# it is built (tree-sitter's tree and dlint's words and commands: 1 GB for 2 MB of `a;a;...`).
MAX_SCRIPT_SIZE = 64 * 1024
_ASSIGNMENT = lazy(r"[A-Za-z_][A-Za-z0-9_]*=")
_ACTIVE = lazy(r"[$`]|[<>]\(")  # what can start a nested command or an assignment inside a word
_JSON_STRING = lazy(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_HEREDOC_ONLY = lazy(r"""\d*<<-?("[^"]*"|'[^']*'|[^\s<>|&;]+)""")  # BuildKit's single-heredoc RUN
_BLANK_RUN = lazy(r"[ \t]+")
_LINES = lazy(r"[^\n]*\n|[^\n]+")  # str.splitlines also splits on \f, \x1c, ...
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
              "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}

Mapper = Callable[[int], int]  # index in a parsed string -> file offset
# A script, where its characters sit in the file, and whether its `$` expansions are its own
# (False when the enclosing shell expands them first: a double-quoted `sh -c "..."`, an unquoted heredoc).
_Body = tuple[str, Mapper, bool]
_Marker = tuple[int, int, _Body]  # a Dockerfile heredoc: marker span in the command line, body


class Word(NamedTuple):  # a tuple: a long RUN holds one per word, and it is made twice as fast as a frozen dataclass
    raw: str  # as written
    value: str  # quotes removed, escapes resolved, expansions kept verbatim
    literal: bool  # False when the shell would substitute part of it ($X, ${X}, $(..), `..`)
    start_offset: int
    end_offset: int
    via: str = ""  # the `$NAME` this word's value was read from (dlint.parsing.expansion); "" when written


class Place(NamedTuple):
    """Where a command or assignment sits in its script: enough to tell whether an assignment
    has certainly run when a later command expands the variable."""

    scope: int  # which parsed script: the RUN's own, or one `sh -c` string or stdin script in it
    statement: int  # the top-level statement (an and-or list such as `a && b || c`)
    element: int  # position in that list
    ands: bool  # every operator before this element is `&&`: it runs only after all earlier ones did
    nested: bool  # inside a compound command, subshell, pipeline or background job
    knowable: bool  # False in a function body (runs when called) or a script whose text the
    # enclosing shell expands first: its `$NAME` words are not this script's variables


_TOP = Place(0, 0, 0, True, False, True)


class Binding(NamedTuple):
    """A change to a shell variable: `NAME=value`, `export NAME=value`, or something dlint cannot
    follow (value None: `unset`, `read`, `for NAME in`, `NAME=$(...)`); name "" is every variable
    (`eval`, `.`, `source`)."""

    name: str
    value: str | None
    offset: int  # file offset where it takes effect
    place: Place


class Command(NamedTuple):  # a tuple, as Word: a long && list holds one per command
    words: tuple[Word, ...]  # program and arguments, wrappers and assignments removed
    assignments: tuple[Word, ...]  # leading VAR=value words (also those given to env/sudo)
    wrappers: tuple[str, ...]  # what was seen through, outermost first: ("sudo", "sh -c")
    start_offset: int
    end_offset: int
    in_pipeline: bool  # part of `a | b`
    negated: bool  # `! cmd`
    in_condition: bool  # in the condition of if/elif/while/until
    place: Place
    # Program name without its directory: "/usr/bin/apt-get" -> "apt-get" (asked for by every rule,
    # so worked out once, when the command is made).
    name: str

    @property
    def args(self) -> tuple[Word, ...]:
        return self.words[1:]


class Script(NamedTuple):
    commands: tuple[Command, ...]  # in source order
    has_pipe: bool
    errors: bool  # the shell parser met syntax it could not make sense of
    sets_pipefail: bool  # `set -o pipefail` in the script, or the shell runs with it
    bindings: tuple[Binding, ...] = ()  # variable assignments and clobbers, in source order per script


def effective_shell(df: Dockerfile, instr: Instruction) -> tuple[str, ...]:
    """The SHELL in force at `instr`: the stage's latest, else inherited via FROM <stage>."""
    return shell_of(shells_in_force(df)[instr.index], df.directives.escape)


def shell_of(shell_instruction: Instruction | None, escape: str) -> tuple[str, ...]:
    """What a SHELL runs RUNs with; without one, the default: cmd's in a file with `# escape=``, the
    directive of Windows Dockerfiles (whose RUNs are cmd or PowerShell), else `/bin/sh -c`."""
    if shell_instruction and shell_instruction.json_args:
        return tuple(shell_instruction.json_args)
    return WINDOWS_DEFAULT_SHELL if escape == "`" else DEFAULT_SHELL


def shells_in_force(df: Dockerfile) -> list[Instruction | None]:
    """The SHELL instruction in force at each instruction (by index), in one pass.

    One pass, not a look-back per RUN: a file with thousands of RUNs would
    otherwise cost quadratic time. A stage starts with its parent's shell, and
    parents always come earlier in the file.
    """
    in_force: list[Instruction | None] = [None] * len(df.instructions)
    stage_shell: dict[int, Instruction | None] = {}
    current: Instruction | None = None
    stage_index: int | None = None
    for instr in df.instructions:
        if instr.stage != stage_index:
            stage_index = instr.stage
            stage = df.stage_of(instr)
            current = stage_shell.get(stage.parent) if stage is not None and stage.parent is not None else None
            stage_shell[stage_index] = current
        in_force[instr.index] = current
        if instr.keyword == "SHELL" and instr.json_args:
            current = stage_shell[stage_index] = instr
    return in_force


def shell_program(path: str) -> str:
    """A SHELL's program as compared with known shell names: "/bin/Bash" -> "bash", "pwsh.exe" -> "pwsh",
    "C:\\Windows\\...\\powershell.exe" -> "powershell" (a Windows image's SHELL names it by a Windows path)."""
    return _basename(path.replace("\\", "/")).lower().removesuffix(".exe")


def is_posix_shell(shell: Sequence[str]) -> bool:
    return not shell or shell_program(shell[0]) not in _NON_POSIX_SHELLS


def run_script(df: Dockerfile, instr: Instruction, shell: tuple[str, ...] | None = None,
               max_size: int = MAX_SCRIPT_SIZE) -> Script | None:
    """The commands `instr` runs, or None when they are not POSIX shell (skip shell rules);
    TooCostly when tree-sitter cannot be trusted to parse them in linear time and memory, or a
    script it would be handed is over `max_size` bytes."""
    shell = effective_shell(df, instr) if shell is None else shell
    if df.directives.escape == "`" and not is_posix_shell(shell):  # Windows: cmd/PowerShell, unless a SHELL
        return None  # (or a `shell=` pragma) names a POSIX shell, whose RUNs the escape leaves as they are
    walker = _Walker(max_size)
    if instr.json_args is not None:  # exec form: no shell, one command (wrappers still apply)
        toks = _json_tokens(instr)
        walker.emit([t.word for t in toks], [], lambda k: toks[k].inner(), (), _Flags(), None, 0, _TOP)
        return walker.script()
    if not is_posix_shell(shell):
        return None
    walker.pipefail = _has_pipefail(shell[1:])
    args = instr.args
    if too_deep(args.value) or any(too_deep(h.body) for h in instr.heredocs):  # DL1000 says so
        return None
    if not instr.heredocs:
        walker.parse(args.value, args.map.locator(), (), _Flags(), 0)
        return walker.script()
    whole = heredoc_script(instr)
    if whole is not None:
        if whole.body.startswith("#!") and shebang_program(whole.body) not in POSIX_SHELLS:
            return None
        walker.parse(whole.body, heredoc_map(df, whole).locator(), (), _Flags(), 0)
        return walker.script()
    # BuildKit hands the command line plus the bodies to the shell, which feeds
    # each body to its command's stdin. tree-sitter-bash cannot parse a heredoc
    # before the command name (`<<EOF bash`, common in Dockerfiles), so the
    # markers are blanked out and each body is attached to its command here.
    text, markers = _blank_markers(df, instr)
    walker.parse(text, args.map.locator(), (), _Flags(), 0, markers)
    return walker.script()


# --- tree-sitter -------------------------------------------------------------


class TooCostly(Exception):
    """tree-sitter would spend more than linear time or memory on this script: it is not analysed.
    Its error recovery goes quadratic on some broken text (`(a) (a) ...`, `a() a() ...`, `case`
    items, or any error after a long pipeline: 150 s for 500 KB, 640 MB for 32 KB), and so does
    its heredoc scanner on many `<<` (even valid arithmetic shifts), so dlint bounds what it hands
    over, says so (DL1000) and guesses nothing about what the RUN does."""


# Past these counts (in any quoting: a bound no quoting gets around) a script is not parsed. An error
# after a pipeline of n commands costs tree-sitter n**2 memory (1,000: 30 MB; 8,000: 640 MB); each `<<`
# costs time in proportion to the ones before it (1,000: 2.5 ms; 50,000: 1.3 s). `||` counts two `|`.
MAX_COUNTS = {"|": 1000, "<<": 1000}
_PIECE = 1024  # a longer text goes to tree-sitter in pieces this size, so that re-reading it shows
_REREADS = 4  # a parse reads its text about twice; past this many readings (plus _SLACK) it stops
_SLACK = 16 * _PIECE


def _tree(data: bytes) -> Tree:
    """tree-sitter's tree of `data`, or TooCostly. Where its error recovery goes quadratic, its
    lexer reads the rest of the text again at every token: a text longer than one piece is handed
    over piece by piece and the pieces counted, and past the budget the rest reads as empty, so the
    parse ends at once (and its tree is thrown away). A text of one piece costs at most a few ms."""
    for operator, limit in MAX_COUNTS.items():
        if data.count(operator.encode()) > limit:
            raise TooCostly(f"more than {limit} `{operator}` in one shell script: it is not analysed")
    if len(data) <= _PIECE:
        return _parser().parse(data)
    view = memoryview(data)
    budget = _REREADS * len(data) + _SLACK
    served = 0

    def read(offset: int, _point: object) -> memoryview:
        """The piece at `offset`; empty (the end) once over budget. A piece never ends inside a
        character: tree-sitter crashes when the end comes while it waits for a character's rest."""
        nonlocal served
        end = offset + _PIECE if served <= budget else offset
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            end += 1
        served += end - offset
        return view[offset:end]

    tree = _parser().parse(read)
    if served > budget:
        raise TooCostly("the shell parser re-read this script more than "
                        f"{_REREADS} times (text it cannot make sense of): it is not analysed")
    return tree


@functools.cache
def _parser() -> Parser:
    import tree_sitter

    return tree_sitter.Parser(tree_sitter.Language(_bash_grammar()))


def _bash_grammar() -> object:
    """tree-sitter-bash's grammar, loaded from its compiled `_binding` without running the package's
    `__init__`: that imports importlib.resources (and through it tempfile, shutil, lzma, bz2, random)
    only to offer query files dlint never reads, ~8 ms of every `dlint check`. Any other layout
    falls back to the plain import."""
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
    from importlib.util import find_spec, module_from_spec, spec_from_loader

    package = find_spec("tree_sitter_bash")  # finds without importing
    places = (package.submodule_search_locations or []) if package else []
    for where in places:
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(where, "_binding" + suffix)
            if os.path.isfile(path):
                loader = ExtensionFileLoader("tree_sitter_bash._binding", path)
                binding = module_from_spec(spec_from_loader(loader.name, loader))
                loader.exec_module(binding)
                return binding.language()
    import tree_sitter_bash

    return tree_sitter_bash.language()


def _char_index(text: str, data: bytes) -> Callable[[int], int]:
    """Byte offset (what tree-sitter reports) -> character index into `text`."""
    if len(data) == len(text):
        return int
    table: list[int] = []
    for i, ch in enumerate(text):
        table.extend([i] * len(ch.encode()))
    table.append(len(text))
    return table.__getitem__


def _fields(node: Node) -> Iterator[tuple[str | None, Node]]:
    """A node's children with their field names, read through a cursor: `node.children` caches its
    list on the node, so every child (each word of a long command, each level of a long && list)
    would live as long as the node does, the whole walk for the root's."""
    cursor = node.walk()
    more = cursor.goto_first_child()
    while more:
        yield cursor.field_name, cursor.node
        more = cursor.goto_next_sibling()


def _children(node: Node) -> list[Node]:
    """A node's children; a long list through a cursor (see `_fields`), a short one as tree-sitter
    lists it, which is quicker and whose cache costs nothing."""
    if node.child_count <= _SHORT:
        return node.children
    return [child for _field, child in _fields(node)]


_SHORT = 16


class _Flags(NamedTuple):  # NamedTuple, not dataclass: a third of the import cost
    in_pipeline: bool = False
    negated: bool = False
    in_condition: bool = False


class _Tok:
    """A word as it is read: its Word, and what `sh -c STRING` needs to parse it in place. Commands
    keep only the Words; the token of a `sh -c` string is made again when asked for."""

    __slots__ = ("index", "src", "start", "word")

    def __init__(self, word: Word, start: int, index: list[int] | range | Node | None, src: _Source) -> None:
        self.word = word
        self.start = start  # index of its first character in the parsed text
        # For each character of value, its index in the parsed text, or the node to work it out from
        # when asked (None: value is the text from start on): a list of ints per character (or a
        # closure) would be most of a token's size.
        self.index = index
        self.src = src

    @property
    def value(self) -> str:
        return self.word.value

    @property
    def literal(self) -> bool:
        return self.word.literal

    def inner(self) -> Mapper:
        """Maps positions in `value` to the file: lets `sh -c STRING` be parsed in place."""
        if self.index is None:
            self.index = range(self.start, self.start + len(self.value))
        elif not isinstance(self.index, (list, range)):
            self.index = self.src.index(self.index)
        index, outer = self.index, self.src.mapper
        if not index:
            return lambda _i: outer(self.start)
        return lambda i: outer(index[i]) if i < len(index) else outer(index[-1]) + 1


class _Source:
    """One parsed string: turns tree-sitter nodes into tokens."""

    __slots__ = ("char", "mapper", "text")

    def __init__(self, text: str, mapper: Mapper, char: Callable[[int], int]) -> None:
        self.text, self.mapper, self.char = text, mapper, char

    def span(self, node: Node) -> tuple[int, int]:
        char = self.char
        if char is int:  # ASCII text: bytes are characters
            return node.start_byte, node.end_byte
        return char(node.start_byte), char(node.end_byte)

    def token(self, node: Node) -> _Tok:
        word = self.word(node)
        # Nothing removed (quotes, backslashes): each character is where it was, and the node need not be kept.
        return _Tok(word, self.char(node.start_byte), None if word.raw == word.value else node, self)

    def word(self, node: Node) -> Word:
        """The Word a node reads as. A plain word (most of them) is its own text: no decoding walk."""
        start, end = self.span(node)
        raw = self.text[start:end]
        if node.child_count == 0 and node.type == "word" and "\\" not in raw:
            return self.located(raw, raw, True, start, end)
        chars: list[str] = []
        literal = self._decode(node, chars, None)
        return self.located(raw, "".join(chars), literal, start, end)

    def located(self, raw: str, value: str, literal: bool, start: int, end: int) -> Word:
        """The Word of text[start:end], with its offsets in the file."""
        mapper = self.mapper
        last = mapper(end - 1) + 1 if end > start else mapper(start)
        return Word(value if raw == value else raw, value, literal, mapper(start), last)  # one string for a plain word

    def index(self, node: Node) -> list[int]:
        """For each character of the token's value, its index in the text: asked only of `sh -c` strings."""
        index: list[int] = []
        self._decode(node, [], index)
        return index

    def _decode(self, node: Node, chars: list[str], index: list[int] | None) -> bool:
        kind = node.type
        start, end = self.span(node)
        text = self.text
        if kind in _EXPANSIONS:
            self._copy(start, end, chars, index)
            return False
        if kind == "raw_string":
            self._copy(start + 1, end - 1 if end - start >= 2 and text[end - 1] == "'" else end, chars, index)
            return True
        if kind == "ansi_c_string":
            self._ansi_c(start + 2, end - 1 if end - start >= 3 and text[end - 1] == "'" else end, chars, index)
            return True
        if kind in ("string", "translated_string"):
            pos = start + (2 if kind == "translated_string" else 1)
            stop = end - 1 if end - pos >= 1 and text[end - 1] == '"' else end
            literal = True
            for child in node.named_children:
                if child.type in _EXPANSIONS:
                    cstart, cend = self.span(child)
                    self._unescape(pos, cstart, chars, index, '$`"\\')
                    self._copy(cstart, cend, chars, index)
                    literal, pos = False, cend
            self._unescape(pos, stop, chars, index, '$`"\\')
            return literal
        if node.child_count == 0:
            self._unescape(start, end, chars, index, None)
            return True
        literal, pos = True, start  # concatenation, assignment, anything composite
        for child in node.children:
            cstart, cend = self.span(child)
            self._unescape(pos, cstart, chars, index, None)
            literal = self._decode(child, chars, index) and literal
            pos = cend
        self._unescape(pos, end, chars, index, None)
        return literal

    def _copy(self, start: int, end: int, chars: list[str], index: list[int] | None) -> None:
        chars.append(self.text[start:end])
        if index is not None:
            index.extend(range(start, end))

    def _unescape(self, start: int, end: int, chars: list[str], index: list[int] | None, only: str | None) -> None:
        """Resolve backslashes; inside double quotes (`only`) just before those characters."""
        text, i = self.text, start
        if text.find("\\", start, end) < 0:
            self._copy(start, end, chars, index)
            return
        while i < end:
            ch = text[i]
            if ch == "\\" and i + 1 < end:
                nxt = text[i + 1]
                if nxt == "\n":
                    i += 2
                    continue
                if only is None or nxt in only:
                    chars.append(nxt)
                    if index is not None:
                        index.append(i + 1)
                    i += 2
                    continue
            chars.append(ch)
            if index is not None:
                index.append(i)
            i += 1

    def _ansi_c(self, start: int, end: int, chars: list[str], index: list[int] | None) -> None:
        text, i = self.text, start
        while i < end:
            ch, at = text[i], i
            i += 1
            if ch == "\\" and i < end:
                esc = text[i]
                i += 1
                if esc in _C_ESCAPES:
                    ch = _C_ESCAPES[esc]
                elif esc == "x":
                    digits = re.match(r"[0-9A-Fa-f]{1,2}", text[i:end])
                    ch = chr(int(digits.group(), 16)) if digits else "\\x"
                    i += len(digits.group()) if digits else 0
                else:
                    ch = "\\" + esc
            chars.append(ch)
            if index is not None:
                index.extend([at] * len(ch))


# --- building commands ---------------------------------------------------------


class _Walker:
    """Collects commands from one RUN across nested parses (sh -c strings, heredoc scripts)."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size  # bytes of one script handed to tree-sitter
        self.commands: list[Command] = []
        self.bindings: list[Binding] = []
        self.has_pipe = False
        self.errors = False
        self.pipefail = False
        self.scopes = 0  # scripts parsed so far
        self.statements = 0  # top-level statements numbered across them

    def script(self) -> Script:
        return Script(tuple(self.commands), self.has_pipe, self.errors, self.pipefail, tuple(self.bindings))

    def parse(self, text: str, mapper: Mapper, wrappers: tuple[str, ...], flags: _Flags, depth: int,
              markers: Sequence[_Marker] = (), knowable: bool = True) -> None:
        text = without_surrogates(text)  # an editor's buffer can hold one; tree-sitter crashes on it
        data = text.encode()
        if len(data) > self.max_size:
            raise TooCostly(f"a shell script of {len(data):,} bytes, over the {self.max_size:,} that "
                            "DL1000's max-script-size allows: it is not analysed")
        root = _tree(data).root_node
        self.errors = self.errors or root.has_error
        src = _Source(text, mapper, _char_index(text, data))
        stdin = _attach(root, src, markers) if markers else {}
        skip: set[int] = set()  # heredoc bodies already parsed as a shell's stdin
        # Each node travels with its parent: tree-sitter's `node.parent` walks down from the root, so
        # asking it of thousands of commands in one list was quadratic. A top-level element's parent
        # (the program or its list) matters to no one: None.
        stack: list[tuple[Node, _Flags, Place, Node | None]] = [
            (node, flags, place, None) for node, place in reversed(self._top_level(root, knowable))]
        while stack:
            node, fl, place, parent = stack.pop()
            kind = node.type
            if node.id in skip or kind == "comment":
                continue
            if kind == "command":
                stdin_of = _Stdin(src, node, parent, skip, stdin.get(node.id))
                children = self._command(src, node, wrappers, fl, depth, stdin_of, place)
            else:
                children = _children(node)
            if kind in _BINDERS:
                self._bind(src, node, parent, place)
            elif kind == "pipeline":
                self.has_pipe = True
                fl = _Flags(True, fl.negated, fl.in_condition)
            elif kind == "negated_command":
                fl = _Flags(fl.in_pipeline, True, fl.in_condition)
            elif kind in ("command_substitution", "process_substitution"):
                fl = flags
            if not place.nested and kind != "variable_assignments":  # only an element's own assignments
                place = place._replace(nested=True)  # share its place; everything below it is nested
            if kind == "function_definition" and place.knowable:
                place = place._replace(knowable=False)
            if kind in _CONDITION_OWNERS:
                cut = next((i for i, c in enumerate(children) if c.type in _CONDITION_ENDS), 0)
                cond = _Flags(fl.in_pipeline, fl.negated, True)
                stack.extend((c, fl, place, node) for c in reversed(children[cut:]) if c.child_count)
                stack.extend((c, cond, place, node) for c in reversed(children[:cut]) if c.child_count)
                continue
            stack.extend((c, fl, place, node) for c in reversed(children) if c.child_count)  # leaves hold no commands

    def _top_level(self, root: Node, knowable: bool) -> list[tuple[Node, Place]]:
        """The elements of each top-level and-or list, with their places in it."""
        scope = self.scopes
        self.scopes += 1
        out: list[tuple[Node, Place]] = []
        children = root.children
        for k, child in enumerate(children):
            if not child.is_named or child.type == "comment":
                continue
            background = k + 1 < len(children) and children[k + 1].type == "&"  # runs in a subshell
            statement = self.statements
            self.statements += 1
            ands = True
            for element, (node, op) in enumerate(_and_or(child)):
                ands = ands and op in ("", "&&")
                out.append((node, Place(scope, statement, element, ands, background or node.type not in _PLAIN,
                                        knowable)))
        return out

    def _bind(self, src: _Source, node: Node, parent: Node | None, place: Place) -> None:
        """Record what an assignment, declaration, `unset`, loop variable or `${X:=...}` does to variables."""
        kind = node.type
        bind = self.bindings.append
        at = src.mapper(src.span(node)[0])
        if kind == "variable_assignment":
            if parent is None or parent.type not in ("command", "declaration_command"):  # `A=1 cmd`: cmd's own
                name, value = _assigned(src, node)
                bind(Binding(name, value, at, place))
        elif kind == "declaration_command":
            keyword = node.children[0].type
            words = [c for c in node.named_children if c.type == "word"]
            plain = keyword in ("export", "readonly", "declare", "typeset", "local") and not words
            for child in node.named_children:
                if child.type == "variable_assignment":
                    name, value = _assigned(src, child)
                    bind(Binding(name, value if plain else None, at, place))
                elif child.type == "variable_name" and not (plain and keyword in ("export", "readonly")):
                    bind(Binding(src.token(child).value, None, at, place))
                elif child.type != "word" or not src.token(child).value.startswith("-"):
                    bind(Binding("", None, at, place))  # `export "$X"`: any name
        elif kind == "unset_command":
            for child in node.named_children:
                name = src.token(child).value
                if not name.startswith("-"):
                    bind(Binding(name if _NAME.fullmatch(name) else "", None, at, place))
        elif kind == "for_statement":
            variable = node.child_by_field_name("variable")
            if variable is not None:
                bind(Binding(src.token(variable).value, None, at, place))
        elif kind == "expansion":
            found = _DEFAULT_ASSIGN.match(src.text, *src.span(node))
            if found:
                bind(Binding(found.group(1), None, at, place))
        else:  # arithmetic: `(( A = 1 ))`, `$((A += 1))`, `for ((i = 0; ...))`
            start, end = src.span(node)
            if src.text.startswith(("((", "$((", "for"), start) and _ARITH_ASSIGN.search(src.text, start, end):
                bind(Binding("", None, at, place))

    def _command(self, src: _Source, node: Node, wrappers: tuple[str, ...], fl: _Flags, depth: int,
                 stdin: _Stdin, place: Place) -> list[Node]:
        """Emit the command; returns its children that have children (where nested commands can be).
        Only its Words are kept while it is built: a word's token is made again (`_argument_inner`)
        for the one `sh -c STRING` that needs it."""
        assignments: list[Word] = []
        words: list[Word] = []
        inner: list[Node] = []
        for field_name, child in _fields(node):
            if field_name in ("name", "argument"):
                words.append(src.word(child))
            elif child.type == "variable_assignment" and not words:
                assignments.append(src.word(child))
            if child.child_count and _ACTIVE.search(src.text, *src.span(child)):
                inner.append(child)  # a word with no `$`, backquote or `<(` holds no command and sets no variable
        self.emit(words, assignments, functools.partial(_argument_inner, src, node), wrappers, fl, stdin, depth, place)
        return inner

    def emit(self, toks: list[Word], assignments: list[Word], inner: Callable[[int], Mapper],
             wrappers: tuple[str, ...], fl: _Flags, stdin: _Stdin | None, depth: int, place: Place) -> None:
        """Add the command `toks` runs, seeing through wrappers (recursing into `sh -c`). `inner(k)`:
        where the characters of `toks[k]` sit in the file (k < 0: `toks` loses words only at its front)."""
        spanned = [*assignments, *toks]
        if not spanned:
            return
        start, end = spanned[0].start_offset, spanned[-1].end_offset
        while toks:
            name = _basename(toks[0].value)
            if name in POSIX_SHELLS:
                if self._shell(toks, inner, wrappers, fl, stdin, depth, place):
                    return
                break
            if name == "su":
                if self._su(toks, inner, wrappers, fl, depth):
                    return
                break
            rest = _unwrap(name, toks, assignments)
            if rest is None:
                break
            toks = rest
            wrappers = (*wrappers, name)
        if toks and toks[0].value == "set":
            self.pipefail = self.pipefail or _has_pipefail([t.value for t in toks[1:]])
        self.bindings.extend(Binding(name, None, start, place) for name in _clobbered(toks, assignments))
        self.commands.append(
            Command(tuple(toks), tuple(assignments), wrappers, start, end, fl.in_pipeline, fl.negated,
                    fl.in_condition, place, _basename(toks[0].value) if toks else "")
        )

    def _shell(self, toks: list[Word], inner: Callable[[int], Mapper], wrappers: tuple[str, ...], fl: _Flags,
               stdin: _Stdin | None, depth: int, place: Place) -> bool:
        """Parse what `sh -c STRING` or `bash <<EOF` runs; False when it runs a script file."""
        name = _basename(toks[0].value)
        i, has_c, reads_stdin = 1, False, False
        options: list[str] = []
        while i < len(toks) and toks[i].literal and toks[i].value[:1] in "-+" and len(toks[i].value) > 1:
            opt = toks[i].value
            i += 1
            if opt == "--":
                break
            options.append(opt)
            if opt.startswith("--"):
                if opt in ("--rcfile", "--init-file") and i < len(toks):
                    i += 1
                continue
            has_c = has_c or "c" in opt[1:]
            reads_stdin = reads_stdin or "s" in opt[1:]
            if opt[-1] in "oO" and i < len(toks):
                options.append(toks[i].value)
                i += 1
        if depth >= _MAX_DEPTH:
            return False
        label = f"{name} -c" if has_c else name
        if has_c:
            if i >= len(toks):
                return False
            body: _Body = (toks[i].value, inner(i - len(toks)), toks[i].literal)
        elif i < len(toks) and not reads_stdin:
            return False  # `bash script.sh`
        else:
            fed = stdin.script() if stdin else None
            if fed is None:
                return False
            body = fed
        self.pipefail = self.pipefail or _has_pipefail(options)
        self.parse(body[0], body[1], (*wrappers, label), fl, depth + 1, knowable=place.knowable and body[2])
        return True


    def _su(self, toks: list[Word], inner: Callable[[int], Mapper], wrappers: tuple[str, ...], fl: _Flags,
            depth: int) -> bool:
        """Parse the string `su [-] [USER] -c STRING` has USER's shell run (options and USER in any order, as
        util-linux reads them; busybox hands what follows USER to the shell: the same `-c STRING`). False when
        dlint cannot tell what runs: no `-c`, a script file, a shell that is not POSIX, an option, the user (unless
        one quoted word) or the shell written through a variable, `-cSTRING` or `--command=STRING` in one word."""
        i, user, body, shell, login = 1, False, -1, "sh", False
        while i < len(toks):
            tok = toks[i]
            opt = tok.value
            if tok.literal and opt == "-":  # `su -`: a login shell
                i, login = i + 1, True
                continue
            if not tok.literal or opt[:1] != "-":
                if user or not tok.literal and tok.raw[:1] != '"':  # a script's name; `$OPTIONS` may be several
                    return False
                user, i = True, i + 1
                continue
            key, eq, attached = opt.partition("=")
            if opt == "--" or key in _SU_COMMAND and eq:
                return False
            value: str | None = None
            if key.startswith("--"):
                login = login or key == "--login"
                if key in _SU_LONG and eq:
                    value = attached
                elif key in _SU_LONG:
                    value, i = self._su_value(toks, i, key in _SU_COMMAND), i + 1
            else:
                k = next((k for k, ch in enumerate(opt) if k and ch in _SU_VALUES), 0)
                login = login or "l" in (opt[1:k] if k else opt[1:])  # `-l`, `-lc ...`
                key = f"-{opt[k]}" if k else opt
                if k and k + 1 < len(opt):
                    value = opt[k + 1:]
                    if key == "-c":
                        return False
                elif k:
                    value, i = self._su_value(toks, i, key in _SU_COMMAND), i + 1
            i += 1
            if value is None and (key in _SU_COMMAND or key in _SU_SHELL):
                return False  # missing, or a shell written through a variable
            if key in _SU_COMMAND:
                body = i - 1
            elif key in _SU_SHELL:
                shell = value or ""
        program = _basename(shell)
        if body < 0 or depth >= _MAX_DEPTH or program not in POSIX_SHELLS:
            return False
        # knowable=False: su hands the shell another environment (`su -` clears it; HOME, USER, SHELL change),
        # so the stage's ENV and ARG values are not known to be this script's. A login shell (`su -`) also starts
        # in the user's home, not in WORKDIR: the wrapper says which.
        self.parse(toks[body].value, inner(body - len(toks)), (*wrappers, LOGIN_SU if login else "su",
                                                               f"{program} -c"), fl, depth + 1, knowable=False)
        return True

    @staticmethod
    def _su_value(toks: list[Word], i: int, script: bool) -> str | None:
        """The value of the option at `i`, the next word; None when there is none, or when a variable writes it
        and it is not the script (whose `$NAME`s, as in `sh -c "..."`, are left unknown)."""
        return toks[i + 1].value if i + 1 < len(toks) and (script or toks[i + 1].literal) else None


class _Stdin:
    """Where a shell command's stdin script comes from: a heredoc or a here-string."""

    __slots__ = ("dockerfile_heredoc", "node", "parent", "skip", "src")

    def __init__(self, src: _Source, node: Node, parent: Node | None, skip: set[int],
                 dockerfile_heredoc: _Body | None) -> None:
        self.src, self.node, self.parent, self.skip = src, node, parent, skip
        self.dockerfile_heredoc = dockerfile_heredoc

    def script(self) -> _Body | None:
        if self.dockerfile_heredoc is not None:
            return self.dockerfile_heredoc
        redirects = [c for c in self.node.children if c.type == "herestring_redirect"]
        parent = self.parent
        if parent is not None and parent.type == "redirected_statement":
            redirects += [c for c in parent.children if c.type in ("heredoc_redirect", "herestring_redirect")]
        for redirect in redirects:
            if redirect.type == "herestring_redirect":
                words = redirect.named_children
                if words:
                    self.skip.add(redirect.id)
                    tok = self.src.token(words[-1])
                    return tok.value, tok.inner(), tok.literal
                continue
            for child in redirect.children:
                if child.type == "heredoc_body":
                    self.skip.add(child.id)
                    start, end = self.src.span(child)
                    quoted = any(c.type == "heredoc_start" and c.text and c.text[:1] in b"'\"\\"
                                 for c in redirect.children)
                    return self.src.text[start:end], lambda i, base=start: self.src.mapper(base + i), quoted
        return None


# --- wrappers --------------------------------------------------------------------


class _Wrapper(NamedTuple):
    short_values: str = ""  # short options that take a value
    long_values: frozenset[str] = frozenset()
    assignments: bool = False  # accepts VAR=value before the command
    refuse: str = ""  # options that mean the operand is not run (`command -v x`)
    as_user: bool = False  # runs the command as another user (USER_SWITCHES)
    operands: int = 0  # words before the command that are not options: `gosu USER cmd`
    requires: tuple[str, ...] = ()  # options, one of which must be given for the operand to be a command


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _Wrapper("ugpCDrtUTRc", frozenset({"--user", "--group", "--prompt", "--close-from", "--chdir",
                     "--role", "--type", "--other-user", "--command-timeout", "--chroot", "--host",
                     "--login-class"}), assignments=True, as_user=True),
    "doas": _Wrapper("u", refuse="CL", as_user=True),  # `doas -C conf cmd` only checks whether cmd is allowed
    "gosu": _Wrapper(as_user=True, operands=1),
    "su-exec": _Wrapper(as_user=True, operands=1),
    # Only `runuser -u USER [--] cmd` runs a command; `runuser USER -c '...'` is su's form, left unseen.
    "runuser": _Wrapper("ugGw", frozenset({"--user", "--group", "--supp-group", "--whitelist-environment"}),
                        refuse="cl", as_user=True, requires=("-u", "--user")),
    "setpriv": _Wrapper("", frozenset({"--reuid", "--regid", "--groups", "--securebits", "--pdeathsig",
                        "--ambient-caps", "--inh-caps", "--bounding-set", "--selinux-label", "--apparmor-profile",
                        "--landlock-access", "--landlock-rule", "--seccomp-filter"}), refuse="d", as_user=True),
    "env": _Wrapper("uCS", frozenset({"--unset", "--chdir", "--split-string"}), assignments=True),
    "command": _Wrapper(refuse="vV"),
    "exec": _Wrapper("a"),
    "nice": _Wrapper("n", frozenset({"--adjustment"})),
    "time": _Wrapper("fo", frozenset({"--format", "--output"})),
    "nohup": _Wrapper(),
}


# su's options that take a value (util-linux, shadow, busybox): `-c STRING` is what it runs, `-s` the shell.
_SU_VALUES = "cgGsw"
_SU_LONG = frozenset({"--command", "--session-command", "--group", "--supp-group", "--shell",
                      "--whitelist-environment"})
_SU_COMMAND = frozenset({"-c", "--command", "--session-command"})
_SU_SHELL = frozenset({"-s", "--shell"})

# Wrappers that run their command as another user: a fix's plain `rm` there may not be allowed.
LOGIN_SU = "su -"  # the wrapper of a login `su` (`su -`, `-l`, `--login`): its shell starts in the user's home
USER_SWITCHES = frozenset({"su", LOGIN_SU, *(name for name, spec in _WRAPPERS.items() if spec.as_user)})


def as_other_user(cmd: Command) -> bool:
    """`cmd` runs behind sudo, doas, gosu, ...: the RUN's user is not root, so what it writes as root a plain
    `rm` after it cannot remove."""
    return any(w in USER_SWITCHES for w in cmd.wrappers)


def _unwrap(name: str, toks: list[Word], assignments: list[Word]) -> list[Word] | None:
    """The command a wrapper runs (its VAR=value words moved to `assignments`), or None."""
    spec = _WRAPPERS.get(name)
    if spec is None:
        return None
    i, given = 1, not spec.requires
    while i < len(toks) and toks[i].literal and toks[i].value.startswith("-") and len(toks[i].value) > 1:
        opt = toks[i].value
        i += 1
        if opt == "--":
            break
        if opt.startswith("--"):
            given = given or opt.partition("=")[0] in spec.requires
            if "=" not in opt and opt in spec.long_values:
                i += 1
            continue
        for k, ch in enumerate(opt[1:], 1):
            if ch in spec.refuse:
                return None
            given = given or f"-{ch}" in spec.requires
            if ch in spec.short_values:
                i += 1 if k == len(opt) - 1 else 0  # value is the next word unless attached
                break
    if not given:
        return None
    i += spec.operands
    moved: list[Word] = []
    while spec.assignments and i < len(toks) and _ASSIGNMENT.match(toks[i].value):
        moved.append(toks[i])
        i += 1
    if i >= len(toks):
        return None  # `sudo -i`, bare `env`: the wrapper is the command
    assignments.extend(moved)
    return toks[i:]


# --- variables -------------------------------------------------------------------

_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN = frozenset({"command", "variable_assignment", "variable_assignments", "declaration_command",
                    "unset_command"})  # run in this shell, unconditionally within their element
_BINDERS = frozenset({"variable_assignment", "declaration_command", "unset_command", "for_statement",
                      "expansion", "arithmetic_expansion", "c_style_for_statement", "compound_statement"})
_DEFAULT_ASSIGN = lazy(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?=")  # `${X:=default}` assigns X
_ARITH_ASSIGN = lazy(r"[^=!<>]=(?!=)|\+\+|--")
_SETS_ALL = frozenset({".", "source", "eval", "let"})  # may set any variable
_SETS_NAMED = frozenset({"read", "mapfile", "readarray", "getopts", "printf", "wait"})  # set the names given
# POSIX special built-ins: `A=1 export B` keeps A=1 in the shell (dash), unlike other commands.
_SPECIAL_BUILTINS = frozenset({":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly",
                               "return", "set", "shift", "times", "trap", "unset"})


def _and_or(node: Node) -> list[tuple[Node, str]]:
    """`a && b || c` as [(a, ""), (b, "&&"), (c, "||")]: tree-sitter nests such lists to the left."""
    rights: list[list[Node]] = []
    while node.type == "list" and node.child_count >= 3:
        kids = [c for c in _children(node) if c.type != "comment"]
        rights.append(kids[1:])
        node = kids[0]
    out = [(node, "")]
    for rest in reversed(rights):
        op = ""
        for child in rest:
            if child.is_named:
                out.append((child, op))
            else:
                op = child.type
    return out


def _assigned(src: _Source, node: Node) -> tuple[str, str | None]:
    """(name, value) of `NAME=value`; the value None when it is not a plain string the shell keeps as is
    (`$(...)`, `$X`, an array, `+=`, a leading `~`)."""
    name_node = node.child_by_field_name("name")
    value_node = node.child_by_field_name("value")
    name = src.token(name_node).value if name_node is not None else ""
    if not _NAME.fullmatch(name):
        return "", None
    if value_node is None:
        after = src.span(name_node)[1]
        return name, None if src.text.startswith("+", after) else ""
    if value_node.type == "array" or src.text.startswith("+", src.span(name_node)[1]):
        return name, None
    tok = src.token(value_node)
    if not tok.literal or tok.word.raw.startswith("~") or ":~" in tok.word.raw:
        return name, None
    return name, tok.value


def _clobbered(toks: list[Word], assignments: list[Word]) -> list[str]:
    """The variables a command may set in this shell ("" for any): `read X`, `eval ...`, `A=1 export`."""
    if not toks:
        return []
    head = toks[0]
    name = _basename(head.value)
    if not head.literal or name in _SETS_ALL:
        return [""]
    out = [a.value.partition("=")[0] for a in assignments] if name in _SPECIAL_BUILTINS else []
    if name in _SETS_NAMED:
        for tok in toks[1:]:
            value = tok.value.removeprefix("-v") if tok.value.startswith("-v") else tok.value
            if _NAME.fullmatch(value):
                out.append(value)
    return out


def _argument_inner(src: _Source, command: Node, k: int) -> Mapper:
    """`_Tok.inner` of a command's k-th name or argument word, its token made again from the node."""
    return src.token([c for f, c in _fields(command) if f in ("name", "argument")][k]).inner()


def _has_pipefail(words: Sequence[str]) -> bool:
    """`-o pipefail` among shell or `set` options, also clustered: `-euxo pipefail`."""
    return any(
        word.startswith("-") and not word.startswith("--") and word.endswith("o") and nxt == "pipefail"
        for word, nxt in itertools.pairwise(words)
    )


def _basename(program: str) -> str:
    return program.rsplit("/", 1)[-1]


def heredoc_script(instr: Instruction) -> Heredoc | None:
    """The heredoc of a `RUN <<EOF` with nothing else on its line: BuildKit runs its body
    itself, as a file when it has a shebang, else as the shell script."""
    if instr.heredocs and _HEREDOC_ONLY.fullmatch(instr.args.value.strip()):
        return instr.heredocs[0]
    return None


def shebang_program(body: str) -> str | None:
    """The interpreter a `#!` line names, seen through `env`: "bash" for `#!/usr/bin/env bash`."""
    if not body.startswith("#!"):
        return None
    parts = body[2:].split("\n", 1)[0].split()
    if parts and _basename(parts[0]) == "env":
        parts = [p for p in parts[1:] if not p.startswith("-")]
    return _basename(parts[0]) if parts else None


# --- source positions --------------------------------------------------------------


def _json_tokens(instr: Instruction) -> list[_Tok]:
    """Exec-form elements, each located at its JSON string in the source."""
    args = instr.args
    elements = instr.json_args or ()
    found = [m for m in _JSON_STRING.finditer(args.value)]
    if len(found) != len(elements):
        found = []
    toks: list[_Tok] = []
    src = _Source(args.value, args.map.locator(), int)
    nowhere = _Source("", lambda _i: instr.start_offset, int)  # no source text to point into
    for k, element in enumerate(elements):
        if found:
            m = found[k]
            index = _json_index(m.group(), m.start())
            if len(index) == len(element):
                toks.append(_Tok(src.located(m.group(), element, True, m.start(), m.end()), m.start(), index, src))
                continue
        toks.append(_Tok(nowhere.located(element, element, True, 0, 0), 0, [0] * len(element), nowhere))
    return toks


def _json_index(literal: str, base: int) -> list[int]:
    """For each character a JSON string literal decodes to, its index in the source."""
    index: list[int] = []
    i, end = 1, len(literal) - 1
    while i < end:
        index.append(base + i)
        if literal[i] != "\\":
            i += 1
        elif literal[i + 1] != "u":
            i += 2
        else:
            code = int(literal[i + 2 : i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00 and literal.startswith("\\u", i):  # surrogate pair: one char
                i += 6
    return index


def heredoc_map(df: Dockerfile, heredoc: Heredoc) -> SourceMap:
    """Where each body character sits in the file, tabs removed by `<<-` accounted for."""
    text = df.text
    pos = heredoc.body_offset  # a body starts on a line of its own
    segments: list[Segment] = []
    logical = 0
    for body_line in _LINES.findall(heredoc.body):
        at = pos
        if heredoc.chomp:
            while at < len(text) and text[at] == "\t":
                at += 1
        segments.append(Segment(logical, at, len(body_line)))
        logical += len(body_line)
        newline = text.find("\n", at)
        if newline < 0:
            break
        pos = newline + 1
    return SourceMap(tuple(segments) or (Segment(0, heredoc.body_offset, 0),))


_HEREDOC_OPERATOR = lazy(r"(?<!<)\d*<<")
_WORD_GOES_ON = lazy(r"[\w-]")


def _marker(text: str, pos: int, name: str) -> tuple[int, int] | None:
    """Where the first `<<NAME` (or `<<-`, `<<"NAME"`, `<<'NAME'`) from `pos` starts and ends.

    One pattern for every name: a pattern per name was a compile per heredoc (8,000 names on one RUN
    took 1.5 s).
    """
    forms = (name, f'"{name}"', f"'{name}'")
    for operator in _HEREDOC_OPERATOR.finditer(text, pos):
        at = operator.end()
        for start in (at, at + 1) if text.startswith("-", at) else (at,):  # `<<-` first, as `<<-?` tries
            for form in forms:
                end = start + len(form)
                if text.startswith(form, start) and not _WORD_GOES_ON.match(text, end):
                    return operator.start(), end
    return None


def _blank_markers(df: Dockerfile, instr: Instruction) -> tuple[str, list[_Marker]]:
    """The command line with heredoc markers replaced by spaces, and where they were."""
    text = instr.args.value
    markers: list[_Marker] = []
    pos = 0
    for heredoc in instr.heredocs:
        found = _marker(text, pos, heredoc.name)
        if found is None:
            break
        body = (heredoc.body, heredoc_map(df, heredoc).locator(), not heredoc.expand)
        markers.append((*found, body))
        pos = found[1]
    pieces, done = [], 0
    for start, end, _body in markers:  # one join: rebuilding the text per marker is quadratic
        pieces += [text[done:start], " " * (end - start)]
        done = end
    return "".join(pieces) + text[done:], markers


def _attach(root: Node, src: _Source, markers: Sequence[_Marker]) -> dict[int, _Body]:
    """Command node id -> the heredoc body on its stdin: the innermost command around the
    marker, else one ending just before it (only blanks between), else one starting just after.
    One sweep over the commands in source order (markers come in source order), so thousands
    of markers and commands stay n log n."""
    spans: list[tuple[int, int, Node]] = []  # statement span (redirects included) of each command
    stack: list[tuple[Node, Node | None]] = [(root, None)]  # with its parent (`node.parent` walks from the root)
    while stack:
        node, parent = stack.pop()
        if node.type == "command":
            outer = parent if parent is not None and parent.type == "redirected_statement" else node
            spans.append((*src.span(outer), node))
        stack.extend((c, node) for c in node.children)
    spans.sort(key=lambda span: span[0])
    starts = [s for s, _, _ in spans]
    by_end = sorted(range(len(spans)), key=lambda k: spans[k][1])
    ends = [spans[k][1] for k in by_end]
    blanks = _Blanks(src.text)
    attached: dict[int, _Body] = {}
    open_: list[tuple[int, int, Node]] = []  # commands around the sweep point, outermost first
    nxt = 0
    for start, end, body in markers:
        while nxt < len(spans) and spans[nxt][0] <= start:
            while open_ and open_[-1][1] <= spans[nxt][0]:
                open_.pop()
            open_.append(spans[nxt])
            nxt += 1
        inside = [span for span in open_ if span[1] > start]
        owner = inside[-1][2] if inside else None
        if owner is None:  # the last (in source order) of the commands ending in the blanks before it
            lo, hi = bisect.bisect_left(ends, blanks.before(start)), bisect.bisect_right(ends, start)
            if lo < hi:
                owner = spans[max(by_end[lo:hi])][2]
        if owner is None:  # the first command starting in the blanks after it
            k = bisect.bisect_left(starts, end)
            if k < len(spans) and spans[k][0] <= blanks.after(end):
                owner = spans[k][2]
        if owner is not None:
            attached[owner.id] = body  # with several, the last heredoc is the one on stdin
    return attached


class _Blanks:
    """The runs of spaces and tabs in a text, found once: blanked markers make runs as long as the line."""

    def __init__(self, text: str) -> None:
        runs = [m.span() for m in _BLANK_RUN.finditer(text)]
        self._starts, self._ends = [r[0] for r in runs], [r[1] for r in runs]

    def _around(self, at: int) -> tuple[int, int]:
        k = bisect.bisect_right(self._starts, at) - 1
        return (self._starts[k], self._ends[k]) if k >= 0 and self._ends[k] >= at else (at, at)

    def before(self, at: int) -> int:
        """Where the blanks running up to `at` start (`at` when there are none)."""
        return self._around(at)[0]

    def after(self, at: int) -> int:
        """Where the blanks running on from `at` end (`at` when there are none)."""
        return self._around(at)[1]
