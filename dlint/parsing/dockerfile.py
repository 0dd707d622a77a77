"""Dockerfile text -> model, reading lines exactly as BuildKit's parser does.

The line handling follows BuildKit's parser.go rather than dockerfile-parse,
whose instruction splitting disagrees with BuildKit on 7 of BuildKit's 33
parser tests and on every heredoc: it ends an instruction at a blank line
inside a `\\` continuation, drops an instruction continued at end of file,
takes `foo\\\\` as a continuation and turns heredoc bodies into instructions.
Those rules are the whole of this module's line loop, so patching around
dockerfile-parse's `structure` would cost more than the loop itself.
dockerfile-parse is kept for what it does right and what BuildKit also does
after parsing: shell-style dequoting and `$VAR` substitution of ARG defaults,
used here to resolve `FROM ${BASE}` to the stage it names (imported only for
such a FROM, as its import costs ~10 ms). Word-level splitting (flags, JSON,
heredoc markers) lives in `arguments`.

BuildKit stops at its first error; `parse` records each one as a ParseError
and carries on, so a broken file still gets a model and the other findings.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate

from dlint.lazyre import lazy
from dlint.model import (
    Comment,
    Directives,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    ParseError,
    Segment,
    SourceMap,
    Stage,
    Text,
    line_column,
)
from dlint.parsing import flags
from dlint.parsing.argcounts import argument_error
from dlint.parsing.arguments import (
    GO_SPACE,
    HEREDOC_KEYWORDS,
    KEYWORDS,
    ArgumentError,
    FlagWord,
    heredoc_markers,
    parse_values,
    split_command,
)
from dlint.parsing.nesting import MAX_EXPANDED, too_deep
from dlint.parsing.numbers import capped_int
from dlint.parsing.nesting import INSTRUCTION_MESSAGE as INSTRUCTION_NESTING
from dlint.parsing.nesting import MESSAGE as NESTING

# BuildKit's directive regexp; Go's \s is [\t\n\f\r ], not Python's Unicode \s.
_DIRECTIVE = lazy(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
_DIRECTIVE_NAMES = ("syntax", "escape", "check")
_LEADING_TABS = lazy(r"^\t+", re.MULTILINE)
_STAGE_NAME = lazy(r"[a-z][a-z0-9-_\.]*")
_VARIABLE = lazy(r"\$\{?(\w+)")
_UNKNOWN = "\x00"  # stands for an ARG without a default when matching FROM against stage names
MAX_LINE_BYTES = 65535  # bufio.Scanner's token limit in BuildKit
MAX_ERRORS = 50  # BuildKit stops at the first; a text file that is no Dockerfile would give one per line


def parse(text: str, path: str = "-") -> Dockerfile:
    """The model of `text`; never raises, problems become `Dockerfile.errors`."""
    return _Parser(text, path).parse()


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        parts = text.split("\n")
        self.starts = list(accumulate((len(p) + 1 for p in parts[:-1]), initial=0))
        # A final newline ends the last line; it does not start another one.
        self.lines = parts if parts[-1] else parts[:-1]
        self.escape = "\\"
        self.directives: dict[str, str] = {}
        self.directives_done = False
        self.comments: list[Comment] = []
        self.instructions: list[Instruction] = []
        self.errors: list[ParseError] = []
        self.arg_defaults: dict[str, str] | None = None  # global ARG defaults, once a FROM needs them
        # stage-name patterns (a name with an ARG of unknown value) -> the stages matched so far and
        # how many aliased stages were compared: each pattern scans the stages once, not once per FROM
        self._patterns: dict[str, tuple[list[str], list[int], list[int]]] = {}
        self._aliased: list[tuple[int, str]] = []  # (stage index, name) of every named stage, in order
        self._unsplit: set[int] = set()  # start offsets of the instructions whose arguments BuildKit cannot split

    def parse(self) -> Dockerfile:
        self._check_line_lengths()
        i = 0
        while i < len(self.lines):
            i = self._line(i)
        if not self.instructions:
            self._error("file with no instructions", max(len(self.lines), 1))
        self._check_flags()
        stages = self._stages()
        self.errors.sort(key=lambda e: (e.line, e.column))
        return Dockerfile(
            path=self.path,
            text=self.text,
            directives=Directives(
                syntax=self.directives.get("syntax"),
                escape=self.escape,
                check=self.directives.get("check"),
            ),
            instructions=self.instructions,
            stages=stages,
            errors=self.errors,
            line_starts=self.starts,
        )

    # --- errors ---------------------------------------------------------------

    def _error(
        self, message: str, line: int, offset: int | None = None, rule: str | None = None, on: Instruction | None = None,
        flag: Flag | None = None,
    ) -> None:
        """Record an error at `offset` if given (its own line and column), else at `line`.

        `rule`: a rule that reports the same mistake under its own (hadolint) code.
        `on`, `flag`: the instruction BuildKit refuses for its `flag`; the error spans the flag.
        """
        if len(self.errors) >= MAX_ERRORS:
            if len(self.errors) == MAX_ERRORS:
                self.errors.append(ParseError(f"more than {MAX_ERRORS} errors; the rest are not reported", line))
            return
        if offset is None:
            self.errors.append(ParseError(message, line, rule=rule))
            return
        start = line_column(self.starts, offset)
        if on is None or flag is None:
            self.errors.append(ParseError(message, *start, rule))
        else:
            end = line_column(self.starts, flag.end_offset)
            self.errors.append(ParseError(message, *start, end=end, instruction=on.index))

    def _check_line_lengths(self) -> None:
        # A UTF-8 character is at most 4 bytes, so shorter lines cannot be too long.
        if not self.lines or max(map(len, self.lines)) * 4 <= MAX_LINE_BYTES:
            return
        for i, line in enumerate(self.lines):
            if len(line) * 4 > MAX_LINE_BYTES and len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
                self._error(f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", i + 1)

    # --- the line loop (BuildKit's Parse) -------------------------------------

    def _continues(self, line: str) -> tuple[bool, str]:
        """trimContinuationCharacter: an escape at the end, not itself escaped."""
        end = line.rstrip(" \t")
        esc = self.escape
        if end.endswith(esc) and (len(end) == 1 or end[-2] != esc):
            return True, end[:-1]
        return False, line

    def _line(self, i: int) -> int:
        """Handle the physical line `i` that is not inside an instruction; return the next one."""
        base = self.starts[i]
        raw = self.lines[i]
        if i == 0 and raw.startswith("\ufeff"):
            raw = raw[1:]
            base += 1
        content = raw.rstrip("\r")
        stripped = content.lstrip(GO_SPACE)
        lead = base + len(content) - len(stripped)
        if not self.directives_done and self._directive(stripped, i + 1, lead):
            return i + 1
        if stripped.startswith("#"):
            self._comment(stripped, i + 1, lead)
            return i + 1
        more, piece = self._continues(stripped)
        if not more and not piece:
            return i + 1
        pieces = [piece]
        segments = [Segment(0, lead, len(piece))]  # kept even if empty: the map needs one segment
        size = len(piece)
        j = i + 1
        lines, starts, count = self.lines, self.starts, len(self.lines)
        while more and j < count:
            content = lines[j].rstrip("\r")
            following = content.lstrip(GO_SPACE)
            # Blank and comment lines inside a continuation are skipped, not ends.
            if following and following[0] != "#":
                more, piece = self._continues(content)
                if piece:
                    segments.append(Segment(size, starts[j], len(piece)))
                    pieces.append(piece)
                    size += len(piece)
            j += 1
        line = "".join(pieces)
        smap = SourceMap(tuple(segments))
        ins = self._instruction(line, smap, 0, len(line), i + 1, depth=0)
        last = j - 1
        heredoc_host = ins.trigger if ins.trigger is not None else ins
        if (
            heredoc_host.keyword.lower() in HEREDOC_KEYWORDS
            and heredoc_host.json_args is None
            and "<<" in line
        ):
            last = self._heredocs(ins, heredoc_host, line, last)
        if heredoc_host.keyword == "RUN" and (
            too_deep(heredoc_host.args.value) or any(too_deep(h.body) for h in heredoc_host.heredocs)
        ):
            here = ParseError(NESTING, *line_column(self.starts, ins.start_offset))
            if not self.errors or self.errors[-1] != here:  # not said already by the heredoc-marker lexer
                self._error(NESTING, ins.start_line, ins.start_offset)
        elif heredoc_host.keyword != "RUN" and too_deep(heredoc_host.args.value):
            self._error(INSTRUCTION_NESTING, ins.start_line, ins.start_offset)
        ins.end_line = last + 1
        ins.end_offset = self.starts[last] + len(self.lines[last].rstrip("\r"))
        if ins.trigger is not None:
            ins.trigger.end_line, ins.trigger.end_offset = ins.end_line, ins.end_offset
        ins.comments = tuple(self.comments)
        ins.index = len(self.instructions)
        if ins.trigger is not None:  # rules key their caches and findings on the ONBUILD's place
            ins.trigger.index = ins.index
        self.comments = []
        self.instructions.append(ins)
        return last + 1

    def _directive(self, stripped: str, line: int, offset: int) -> bool:
        """A `# name=value` parser directive at the top of the file; anything else ends them."""
        m = _DIRECTIVE.fullmatch(stripped)
        name = m.group(1).lower() if m else ""
        if name not in _DIRECTIVE_NAMES:
            self.directives_done = True
            return False
        value = m.group(2)  # type: ignore[union-attr]
        if name in self.directives:
            self._error(f"only one {name} parser directive can be used", line, offset)
        elif name == "escape" and value not in ("`", "\\"):
            self._error(f"invalid escape token '{value}' does not match ` or \\", line, offset)
        else:
            self.directives[name] = value
            if name == "escape":
                self.escape = value
        return True

    def _comment(self, stripped: str, line: int, offset: int) -> None:
        text = stripped[1:].strip(GO_SPACE)
        if text:
            self.comments.append(Comment(text, line, offset))
        else:
            self.comments = []  # a bare `#` separates a comment block from the instruction

    # --- one instruction ------------------------------------------------------

    def _instruction(self, line: str, smap: SourceMap, lo: int, hi: int, line_no: int, depth: int) -> Instruction:
        """newNodeFromLine over line[lo:hi]; ONBUILD recurses once for its trigger."""
        split = split_command(line, lo, hi)
        keyword = split.keyword.lower()
        start = smap.to_source(split.keyword_start)
        args = line[split.args_start : split.args_end]
        trigger = None
        values: tuple[str, ...] = ()
        exec_form = None
        try:
            if keyword == "onbuild":
                trigger, values = self._trigger(line, smap, split.args_start, split.args_end, line_no, depth, start)
            else:
                values, exec_form = parse_values(keyword, args, self.escape)
        except ArgumentError as e:
            self._error(str(e), line_no, start)
            self._unsplit.add(start)
        if keyword not in KEYWORDS and len(self.errors) <= MAX_ERRORS:  # no close-match search past the cap
            self._error(_unknown(split.keyword), line_no, start)
        return Instruction(
            keyword=split.keyword.upper(),
            raw_keyword=split.keyword,
            start_line=line_no,
            end_line=line_no,
            start_offset=start,
            end_offset=smap.end_to_source(hi),
            flags=tuple(_flag(f, smap) for f in split.flags) if split.flags else (),
            args=Text(args, smap.slice(split.args_start, split.args_end)),
            json_args=exec_form,
            values=values,
            trigger=trigger,
        )

    def _trigger(
        self, line: str, smap: SourceMap, lo: int, hi: int, line_no: int, depth: int, offset: int
    ) -> tuple[Instruction | None, tuple[str, ...]]:
        if lo == hi:
            return None, ()
        if depth > 0:
            self._error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", line_no, offset, "DL3043")
            return None, ()
        trigger = self._instruction(line, smap, lo, hi, line_no, depth + 1)
        if trigger.keyword in ("FROM", "MAINTAINER"):
            self._error(f"{trigger.keyword} isn't allowed as an ONBUILD trigger", line_no, offset, "DL3043")
        return trigger, trigger.values

    def _heredocs(self, ins: Instruction, host: Instruction, line: str, last: int) -> int:
        """Read the bodies of the line's `<<NAME` markers; return the last line consumed."""
        try:
            markers = heredoc_markers(line)
        except ArgumentError as e:
            self._error(str(e), ins.start_line, ins.start_offset)
            return last
        found: list[Heredoc] = []
        for marker in markers:
            first = last + 1
            j = first
            while j < len(self.lines):
                candidate = self.lines[j].rstrip("\r")
                if (candidate.lstrip("\t") if marker.chomp else candidate) == marker.name:
                    break
                j += 1
            else:
                message = f"unterminated heredoc: no line {marker.name!r} ends <<{marker.name}"
                self._error(message, ins.start_line, ins.start_offset)
                last = len(self.lines) - 1
                break
            body = self.text[self.starts[first] : self.starts[j]]
            found.append(
                Heredoc(
                    name=marker.name,
                    body=_LEADING_TABS.sub("", body) if marker.chomp else body,
                    start_line=first + 1,
                    end_line=j + 1,
                    body_offset=self.starts[first],
                    terminator_offset=self.starts[j],
                    chomp=marker.chomp,
                    expand=marker.expand,
                    fd=marker.fd,
                )
            )
            last = j
        ins.heredocs = tuple(found)
        if host is not ins:
            host.heredocs = ins.heredocs
        return last

    def _check_flags(self) -> None:
        """BuildKit's per-instruction checks: the flags (ONBUILD's and its trigger's), one error each at the
        flag, and the argument counts (argcounts.py), before or after the flags as each of its parsers does."""
        if not flags.known_frontend(self.directives.get("syntax")):
            return
        for ins in self.instructions:
            if ins.keyword.lower() not in KEYWORDS or ins.start_offset in self._unsplit:
                continue  # an unknown instruction, or one whose arguments did not split: refused for that already
            message = argument_error(ins, first=True)
            if message is not None:
                self._error(message, ins.start_line, ins.start_offset)
                continue
            for part in (ins, ins.trigger):
                found = flags.check(part) if part is not None and part.flags else None
                if found is not None:
                    self._error(found.message, ins.start_line, found.flag.start_offset, on=ins, flag=found.flag)
                    break
            else:
                message = argument_error(ins, first=False)
                if message is not None:
                    self._error(message, ins.start_line, ins.start_offset)

    # --- stages ---------------------------------------------------------------

    def _stages(self) -> list[Stage]:
        stages: list[Stage] = []
        # per stage: the earlier stages its FROM may name, as a prefix `found[:count]` of a list that
        # FROM lines with the same name pattern share (their candidates would be quadratic in stages)
        sources: list[Candidates] = []
        aliases: dict[str, list[int]] = {}  # stage name -> the stages so named, in order
        global_args: list[Instruction] = []
        reported_no_stage = False
        for ins in self.instructions:
            if ins.keyword == "FROM":
                stage = self._stage(ins, len(stages))
                sources.append(self._base_candidates(stage.base, len(stages), aliases, global_args))
                found, count = sources[-1]
                if count == 1:
                    stage.parent = found[0]
                stages.append(stage)
                if stage.alias:
                    aliases.setdefault(stage.alias, []).append(stage.index)
                    self._aliased.append((stage.index, stage.alias))
            elif not stages:
                if ins.keyword == "ARG":
                    global_args.append(ins)
                elif ins.keyword.lower() in KEYWORDS and not reported_no_stage:
                    self._error("no build stage in current context", ins.start_line, ins.start_offset, "DL3061")
                    reported_no_stage = True
                ins.stage = -1
                continue
            ins.stage = len(stages) - 1
            if ins.trigger is not None:
                ins.trigger.stage = ins.stage
            stages[-1].instructions.append(ins)
        if self.instructions and not stages and not reported_no_stage:
            self._error("dockerfile contains no stages to build", self.instructions[0].start_line)
        inputs = [found for stage in stages for found in self._inputs(stage, aliases, global_args)]
        used: set[int] = set()
        for found, count in _longest_prefixes(inputs + sources):
            used.update(found[:count])
        for stage in stages:
            stage.ships = stage.index not in used
        marked: dict[int, int] = {}  # id of a shared list -> how long a prefix of it already ships
        for stage in reversed(stages):
            if stage.ships:
                found, count = sources[stage.index]
                done = marked.get(id(found), 0)
                if count > done:
                    for index in found[done:count]:
                        stages[index].ships = True
                    marked[id(found)] = count
        return stages

    def _stage(self, ins: Instruction, index: int) -> Stage:
        values = ins.values
        alias = None
        if len(values) == 3 and values[1].lower() == "as":
            alias = values[2].lower()
            if not _STAGE_NAME.fullmatch(alias):
                self._error(
                    f'invalid name for build stage: "{values[2]}", name can\'t start with a number or contain symbols',
                    ins.start_line,
                    ins.start_offset,
                )
        elif len(values) != 1:
            self._error("FROM requires either one or three arguments", ins.start_line, ins.start_offset)
        platform = ins.flag("platform")
        return Stage(
            index=index,
            base=values[0] if values else "",
            alias=alias,
            platform=platform.value if platform else None,
            from_instruction=ins,
        )

    def _inputs(
        self, stage: Stage, aliases: dict[str, list[int]], global_args: list[Instruction]
    ) -> list[Candidates]:
        """Earlier stages this one copies from (`COPY --from`) or mounts (`RUN --mount=from=`)."""
        names = [
            f.value for ins in stage.instructions if ins.keyword in ("COPY", "ADD") for f in ins.flags_named("from")
        ]
        names += [
            f.options().get("from")
            for ins in stage.instructions
            if ins.keyword == "RUN"
            for f in ins.flags_named("mount")
        ]
        found: list[Candidates] = []
        for name in filter(None, names):
            if name.isascii() and name.isdigit():  # strconv.Atoi: ASCII digits only
                index = capped_int(name)
                found.append(([index], 1) if index < stage.index else _NONE)
            else:
                found.append(self._base_candidates(name, stage.index, aliases, global_args))
        return found

    def _base_candidates(
        self, base: str, before: int, aliases: dict[str, list[int]], global_args: list[Instruction]
    ) -> Candidates:
        """Indexes of the earlier stages a FROM image name can refer to, as `found[:count]`.

        BuildKit expands the name with the global ARGs before looking it up among
        stage names (case-insensitively). Defaults stand in for build arguments;
        an ARG without one, or a platform ARG such as TARGETOS, matches anything,
        so `FROM binaries-$TARGETOS` can name every `binaries-*` stage.
        """
        if not aliases or not base:
            return _NONE
        expanded = base.lower()
        if any(ch in base for ch in "$'\"\\"):
            if self.arg_defaults is None:
                self.arg_defaults = _global_defaults(global_args)
            expanded = _expand(base, self.arg_defaults).lower()
        if _UNKNOWN not in expanded:  # a name looked up, not every stage compared with it
            named = aliases.get(expanded, [])  # only appended to, with later stages: the prefix stays
            return named, bisect.bisect_left(named, before)
        if expanded not in self._patterns:
            self._patterns[expanded] = (expanded.split(_UNKNOWN), [], [0])
        parts, matched, scanned = self._patterns[expanded]
        for index, alias in self._aliased[scanned[0] :]:  # the stages named since this pattern last looked
            if _fits(parts, alias):
                matched.append(index)
        scanned[0] = len(self._aliased)
        return matched, bisect.bisect_left(matched, before)


Candidates = tuple[list[int], int]  # stage indexes found[:count]; `found` may be shared and grow past count
_NONE: Candidates = ([], 0)


def _fits(parts: list[str], name: str) -> bool:
    """`name` is parts[0], anything, parts[1], ..., anything, parts[-1]. With `anything` the only
    wildcard, the leftmost place of each middle part is as good as any, so one pass of str.find
    decides: the regex `a.*a.*...b` this replaced backtracked, 12 unknown ARGs in an image name
    against a 40-character stage name took 45 s."""
    first, last = parts[0], parts[-1]
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    at, end = len(first), len(name) - len(last)
    for part in parts[1:-1]:
        found = name.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


def _longest_prefixes(candidates: list[Candidates]) -> list[Candidates]:
    """One entry per distinct list, its longest prefix: the same stages, each shared list walked once."""
    longest: dict[int, Candidates] = {}
    for found, count in candidates:
        if count > longest.get(id(found), (found, -1))[1]:
            longest[id(found)] = (found, count)
    return list(longest.values())


def _flag(word: FlagWord, smap: SourceMap) -> Flag:
    name, sep, value = word.text[2:].partition("=")
    return Flag(name, value if sep else None, smap.to_source(word.start), smap.end_to_source(word.end))


def _unknown(keyword: str) -> str:
    if not keyword:
        return "line continuation with no instruction after it"
    import difflib  # only on this error path

    close = difflib.get_close_matches(keyword.lower(), sorted(KEYWORDS), n=1)
    hint = f" (did you mean {close[0].upper()}?)" if close else ""
    return f"unknown instruction: {keyword}{hint}"


def _global_defaults(global_args: list[Instruction]) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for ins in global_args:
        for word in ins.values:
            name, sep, value = word.partition("=")
            if sep:
                defaults[name] = _expand(value, defaults)
    return defaults


def _expand(word: str, defaults: dict[str, str]) -> str:
    """`word` dequoted with known ARG values substituted and unknown ones as _UNKNOWN."""
    from dockerfile_parse.util import WordSplitter  # ~10 ms import: only for FROM/ARG with `$` or quotes

    names = _VARIABLE.findall(word)
    if len(word) + sum(len(defaults.get(name, "")) for name in names) > MAX_EXPANDED:
        return _UNKNOWN  # a value doubled line after line: never built
    # Only the names the word reads: a copy of every default for each global ARG was quadratic (20,000 took 25 s).
    values = {name: defaults.get(name, _UNKNOWN) for name in names}
    if "" in defaults:  # `${}` reads the empty name
        values[""] = defaults[""]
    return WordSplitter(word, args=values).dequote()
