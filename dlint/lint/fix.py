"""`dlint check --fix` / `--diff`: apply the edits findings carry, re-lint, repeat.

Fixes are computed against one text, so a pass applies only fixes whose edits
stay apart; the next pass re-parses and re-lints, which also picks up fixes one
fix makes possible (DLT001 merges an update into the installing RUN, then DL3009
can append the cleanup there). Every pass is checked: the result must parse as
well as before and keep the instruction sequence, except for instructions an
edit replaced whole. A file that fails that check, or whose fixes do not settle
within MAX_PASSES, keeps its original text and gets an error, because a broken
fix is a dlint bug the user must not have to find in their diff.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from dlint.lint.engine import RuleCrash, Selection, lint
from dlint.lint.finding import Edit, Finding, Fix
from dlint.model import Dockerfile
from dlint.parsing.dockerfile import parse

MAX_PASSES = 10
_BARE_LF = re.compile(r"(?<!\r)\n")
_LINES = re.compile(r"[^\n]*\n|[^\n]+")  # str.splitlines also splits on \f, \x1c, ...


@dataclass(frozen=True)
class FixMode:
    """How --fix, --diff, --unsafe-fixes and --force combine."""

    write: bool = True  # False for --diff: compute the fixed text, write nothing
    unsafe: bool = False  # also apply fixes marked Fix(safe=False)
    force: bool = False  # also replace read-only and hard-linked files (--force)


@dataclass
class FileFix:
    """What fixing did to one file."""

    original: str
    text: str  # the fixed text; the original when nothing applied or a check failed
    fixed: int = 0  # findings whose fix was applied
    written: bool = False
    error: str | None = None  # why the fixes were discarded or not written

    @property
    def changed(self) -> bool:
        return self.text != self.original


class FixError(Exception):
    """A fixed file that cannot be written; str() is a one-line message."""


def fix_text(
    text: str, path: str, selection: Selection, unsafe: bool = False
) -> tuple[FileFix, list[Finding], list[RuleCrash]]:
    """The fixed text and the findings left in it (the original's, when fixing failed)."""
    df = parse(text, path)
    findings, crashes = lint(df, selection)
    first = (findings, crashes)
    result = FileFix(text, text)
    seen = {text}
    for _ in range(MAX_PASSES):
        fixes, count = choose(findings, unsafe)
        if not fixes:
            return result, findings, crashes
        edits = [e for fix in fixes for e in fix.edits]
        fixed = parse(apply_edits(df.text, edits), path)
        problem = verify(df, fixed, edits)
        if problem is None and fixed.text in seen:
            problem = "changes nothing or undoes an earlier fix"
        if problem is not None:
            codes = ", ".join(sorted({f.code for f in findings if f.fix in fixes}))
            return FileFix(text, text, error=f"{path}: fixing {codes} {problem}; file left unchanged"), *first
        seen.add(fixed.text)
        df = fixed
        result.text, result.fixed = fixed.text, result.fixed + count
        findings, crashes = lint(df, selection)
    if choose(findings, unsafe)[0]:
        return FileFix(text, text, error=f"{path}: fixes did not settle after {MAX_PASSES} passes; "
                       "file left unchanged"), *first
    return result, findings, crashes


def checked_edits(df: Dockerfile, fix: Fix) -> tuple[Edit, ...] | None:
    """One fix's edits as `--fix` would apply them (new lines in a CRLF file's endings), for an editor's quick
    fix; None where `--fix` would not apply it: a result that does not verify. (A file `--fix` refuses whole
    has no fixes: the engine drops them.)"""
    crlf = mostly_crlf(df.text)
    edits = [Edit(e.start, e.end, _ended(e.text, crlf)) for e in fix.edits]
    fixed = parse(apply_edits(df.text, edits), df.path)
    return tuple(edits) if verify(df, fixed, edits) is None else None


def fix_file(
    path: str, text: str, selection: Selection, mode: FixMode
) -> tuple[FileFix, list[Finding], list[RuleCrash]]:
    """Fix `text` read from `path` and, in write mode, replace the file (never stdin's "-")."""
    result, findings, crashes = fix_text(text, path, selection, mode.unsafe)
    if not (mode.write and result.changed and path != "-"):
        return result, findings, crashes
    try:
        write_atomic(path, result.original, result.text, force=mode.force)
    except FixError as exc:
        findings, crashes = lint(parse(text, path), selection)
        return FileFix(text, text, error=str(exc)), findings, crashes
    result.written = True
    return result, findings, crashes


def choose(findings: Iterable[Finding], unsafe: bool) -> tuple[list[Fix], int]:
    """Fixes whose edits neither overlap nor touch, first come first served, and how many
    findings they fix (findings may share one fix). The edits taken are kept sorted: they are
    apart, so an edit can only meet the last of them starting at or before its end, and a file
    of 4,000 fixes is not 4,000 walks over the others."""
    fixes: list[Fix] = []
    chosen: set[Fix] = set()
    starts: list[int] = []
    ends: list[int] = []  # of the edits taken, in the order of their starts
    count = 0
    candidates = [f for f in findings if f.fix and f.fix.edits and not f.suppressed and (f.fix.safe or unsafe)]
    for finding in sorted(candidates, key=lambda f: (min(e.start for e in f.fix.edits), f.code)):
        fix = finding.fix
        if fix in chosen:
            count += 1
            continue
        edits = sorted(fix.edits, key=lambda e: (e.start, e.end))
        if any(a.end > b.start or a.start == b.start for a, b in zip(edits, edits[1:])):
            continue  # a fix that contradicts itself is never applied
        if any((i := bisect.bisect_right(starts, e.end)) and ends[i - 1] >= e.start for e in edits):
            continue
        for e in edits:
            i = bisect.bisect_right(starts, e.start)
            starts.insert(i, e.start)
            ends.insert(i, e.end)
        fixes.append(fix)
        chosen.add(fix)
        count += 1
    return fixes, count


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with non-overlapping `edits` applied; new lines follow a CRLF file's endings."""
    crlf = mostly_crlf(text)
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos : edit.start])
        out.append(_ended(edit.text, crlf))
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def mostly_crlf(text: str) -> bool:
    """Most of the file's line endings are CRLF: new lines follow them."""
    return text.count("\r\n") * 2 > text.count("\n")


def _ended(text: str, crlf: bool) -> str:
    return _BARE_LF.sub("\r\n", text) if crlf else text


def verify(before: Dockerfile, after: Dockerfile, edits: list[Edit]) -> str | None:
    """Why `after` is not what `edits` meant to make of `before`, or None when it is."""
    new_errors = Counter(e.message for e in after.errors) - Counter(e.message for e in before.errors)
    if new_errors:
        error = next(e for e in after.errors if e.message in new_errors)
        return f"would make the file unparsable (line {error.line}: {error.message})"
    expected = intended_keywords(before, edits)
    got = [i.keyword for i in after.instructions]
    if got != expected:
        return f"would change the instructions from {' '.join(expected)} to {' '.join(got)}"
    return None


def intended_keywords(df: Dockerfile, edits: list[Edit]) -> list[str]:
    """The instruction keywords `edits` mean to leave.

    An edit covering whole instructions replaces them with the instructions of
    its own text (none, when it deletes). Edits inside an instruction keep its
    keyword unless one rewrites the keyword itself (ADD -> COPY): then it is
    whatever the edited instruction reads as on its own.
    """
    out: list[str] = []
    used: set[Edit] = set()
    edits = sorted(edits, key=lambda e: (e.start, e.end))  # apart: found by bisect, not a walk per instruction
    starts = [e.start for e in edits]
    for instr in df.instructions:
        start, end = instr.start_offset, instr.end_offset
        before = bisect.bisect_right(starts, start)  # the last edit starting at or before it is the only one that can cover it
        cover = edits[before - 1] if before and edits[before - 1].end >= end else None
        if cover is not None:
            if cover not in used:
                used.add(cover)
                out.extend(_keywords(df, cover.text))
            continue
        head = start + len(instr.raw_keyword)
        inside = [e for e in edits[bisect.bisect_left(starts, start) : bisect.bisect_right(starts, end)] if e.end <= end]
        if any(e.start < head for e in inside):
            shifted = [Edit(e.start - start, e.end - start, e.text) for e in inside]
            out.extend(_keywords(df, apply_edits(df.text[start:end], shifted)))
        else:
            out.append(instr.keyword)
    return out


def _keywords(df: Dockerfile, text: str) -> list[str]:
    """The keywords of `text` read as a Dockerfile with `df`'s escape character."""
    escape = df.directives.escape
    return [i.keyword for i in parse(text if escape == "\\" else f"# escape={escape}\n{text}").instructions]


def write_atomic(path: str, original: str, text: str, force: bool = False) -> None:
    """Replace `path` (through symlinks) with `text` by rename, keeping its owner, group, mode,
    extended attributes and BOM.

    Refuses when the file no longer holds `original` (an editor or formatter wrote it while
    dlint was working, and its change must not be lost), when it is a symbolic link out of both
    its own directory and the current one (a pull request's `Dockerfile -> ../../elsewhere` would
    have dlint write outside the checkout), has other hard links (the rename would leave them with the old
    text) or is read-only, unless `force`, and when its owner cannot be kept.
    """
    import tempfile  # 6 ms of imports that plain `dlint check` never needs

    real = path
    if os.path.islink(path):  # only a link is resolved: realpath asks each directory above (2,000 deep: minutes)
        real = os.path.realpath(path)
        # Inside the link's directory or the one dlint runs in (a checkout's root, where pre-commit and CI run
        # it): `services/a/Dockerfile -> ../../docker/Dockerfile` is the project's own file.
        homes = (os.path.dirname(os.path.abspath(path)), os.getcwd())
        if not force and not any(real.startswith(os.path.join(os.path.realpath(home), "")) for home in homes):
            raise FixError(f"{path}: a symbolic link to {real}, outside its directory and the current one; not written "
                           "(--force writes it)")
    try:
        with open(real, "rb") as fh:
            current = fh.read()
            before = os.fstat(fh.fileno())
        bom = codecs.BOM_UTF8 if current.startswith(codecs.BOM_UTF8) else b""
        if current[len(bom) :] != original.encode("utf-8"):
            raise FixError(f"{path}: changed while dlint was fixing it; not written")
        if not force and before.st_nlink > 1:
            raise FixError(f"{path}: has {before.st_nlink} hard links, which a fix would split (the other names "
                           "keep the old text); not written (--force writes it)")
        if not force and not before.st_mode & stat.S_IWUSR:
            raise FixError(f"{path}: is read-only; not written (--force writes it)")
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".dlint-fix",
                                   dir=os.path.dirname(real) or ".")
    except OSError as exc:
        raise FixError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bom + text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
            _keep_attributes(path, fh.fileno(), real, before)
        now = os.stat(real)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise FixError(f"{path}: changed while dlint was fixing it; not written")
        os.replace(tmp, real)
    except BaseException as exc:  # Ctrl-C too: no stray temporary file is left next to the user's
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FixError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


def _keep_attributes(path: str, fd: int, real: str, before: os.stat_result) -> None:
    """Owner and group first (changing them clears set-id bits), then mode, then extended attributes."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (before.st_uid, before.st_gid):
        try:
            os.fchown(fd, before.st_uid, before.st_gid)
        except PermissionError:
            raise FixError(f"{path}: owned by {before.st_uid}:{before.st_gid}, which dlint cannot give the fixed "
                           "file; not written") from None
    os.fchmod(fd, stat.S_IMODE(before.st_mode))
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(real)
    except OSError:  # the file system has none
        return
    for name in names:
        with contextlib.suppress(OSError):  # a namespace this process may not write (security.*, trusted.*)
            os.setxattr(fd, name, os.getxattr(real, name))


def diff_name(path: str) -> str:
    """`path` in a diff header as git writes one and GNU patch reads it: in double quotes with C
    escapes (octal for each byte) when it holds a control character, a quote, a backslash or bytes
    that are not UTF-8, so no name ends the line or writes to a terminal; a name with a space ends
    in a tab, or patch would take the name to end at the space."""
    raw = os.fsencode(path)
    if all(0x20 <= b < 0x7F and b not in b'"\\' for b in raw) and path.isprintable():
        return path + "\t" if " " in path else path
    escapes = {ord("\n"): "\\n", ord("\t"): "\\t", ord('"'): '\\"', ord("\\"): "\\\\"}
    return '"' + "".join(escapes.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}") for b in raw) + '"'


def unified_diff(path: str, original: str, fixed: str) -> str:
    """A `diff -u` of the fix, marking a last line without newline as diff and patch expect."""
    import difflib
    name = diff_name(path)
    lines = difflib.unified_diff(_LINES.findall(original), _LINES.findall(fixed), name, name)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
