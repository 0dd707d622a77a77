"""Rules from the research rule sets (binnacle, ICSE 2020; Parfum, ICSE 2024) on downloads and
what they leave behind: failing on HTTP errors, plain-HTTP fetches, unattended gpg, archives kept
after unpacking, gem documentation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.copy_add import basename, copies, is_archive, tar_extracts
from dlint.lint.checks.operands import copy_operands
from dlint.lint.checks.package_rules import mount_targets, under
from dlint.lint.checks.removals import removals
from dlint.lint.checks.run_commands import commands_named, short_options
from dlint.lint.checks.verification import CURL_VALUES, long_option, option_words
from dlint.lint.context import Context
from dlint.lint.edits import append_command, insert_after
from dlint.lint.finding import Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Instruction
from dlint.parsing.shell import Command, Word, as_other_user

_URL = lazy(r"(https?|ftps?)://", re.IGNORECASE)
_LOCAL_HOSTS = lazy(r"https?://(localhost|127\.\d+\.\d+\.\d+|\[::1\])([:/]|$)", re.IGNORECASE)


def urls(cmd: Command) -> list[Word]:
    return [w for w in option_words(cmd) if _URL.match(w.value)]


def curl_fails_on_errors(cmd: Command) -> bool:
    return any(long_option(w, "--fail", "--fail-with-body") or any(ch == "f" for ch, _ in short_options(w.value, CURL_VALUES))
               for w in option_words(cmd))


@rule("DLR001")
def curl_without_fail(ctx: Context) -> Iterator[Violation]:
    """Without `-f` an HTTP error page is saved (or piped on) as if it were the file."""
    for instr, cmd in commands_named(ctx, ("curl",)):
        if urls(cmd) and not curl_fails_on_errors(cmd):
            name = cmd.words[0]
            yield ctx.violation("DLR001", "`curl` without `-f`/`--fail` exits 0 on an HTTP error and hands on the "
                                "error page as the download; add `-f`", instr, name.start_offset, name.end_offset)


@rule("DLR002")
def plain_http_download(ctx: Context) -> Iterator[Violation]:
    why = "is fetched over plain HTTP: anyone on the path can change it; use https://"
    for instr, cmd in commands_named(ctx, ("curl", "wget")):
        for word in urls(cmd):
            if word.value.lower().startswith("http://") and not _LOCAL_HOSTS.match(word.value):
                yield ctx.violation("DLR002", f"`{word.value}` {why}", instr, word.start_offset, word.end_offset)
    for instr in copies(ctx.dockerfile, ("ADD",)):
        for source in ctx.per_instruction(copy_operands, instr)[0]:
            if source.value.lower().startswith("http://") and not _LOCAL_HOSTS.match(source.value):
                yield ctx.violation("DLR002", f"`{source.value}` {why}", instr, source.start, source.end)


@rule("DLR003")
def gpg_without_batch(ctx: Context) -> Iterator[Violation]:
    """gpg may ask on a terminal a build does not have (trust prompts, pinentry); `--batch` makes it fail instead."""
    for instr, cmd in commands_named(ctx, ("gpg", "gpg2")):
        words = [w.value for w in option_words(cmd)]
        if words and "--batch" not in words and not any(w in ("--version", "--help", "-h") for w in words):
            name = cmd.words[0]
            yield ctx.violation("DLR003", f"`{cmd.name}` without `--batch` may wait for input the build cannot give",
                                instr, name.start_offset, name.end_offset)


def downloaded_file(cmd: Command) -> Word | None:
    """The word naming the file `curl -o F` / `curl -O URL` / `wget URL` / `wget -O F` writes, when literal
    (for `-O` and wget the URL, whose last part is the name)."""
    words = [w for w in cmd.args if w.literal]
    found = [w for w in words if _URL.match(w.value)]
    url = found[0] if len(found) == 1 else None
    if cmd.name == "wget":
        for i, w in enumerate(words):
            if w.value in ("-O", "--output-document") and i + 1 < len(words):
                return words[i + 1]
        return url
    if cmd.name != "curl":
        return None
    for i, w in enumerate(words):
        if w.value.startswith("--output="):
            return w
        if w.value == "--output" and i + 1 < len(words):
            return words[i + 1]
        if w.value == "--remote-name":
            return url
        for ch, attached in short_options(w.value, CURL_VALUES):
            if ch == "o":
                return None if attached else (words[i + 1] if i + 1 < len(words) else None)
            if ch == "O":
                return url
    return None


def _file_name(word: Word) -> str:
    value = word.value.partition("=")[2] if word.value.startswith("--output=") else word.value
    return basename(value.split("?", 1)[0]) if _URL.match(value) else value


class _Unpacks:
    """The unpacking commands of one script, indexed by the base names of the files they name: whether one
    after command i unpacks a file, in time linear in the name (a RUN of thousands of downloads never unpacked
    was quadratic). An attached `tar -xzfNAME` names NAME."""

    def __init__(self, commands: list[Command]) -> None:
        self.last: dict[str, int] = {}  # base name -> the last unpacking command naming it
        self.partial: set[str] = set()  # base names some unpacking command takes only members of
        for i, cmd in enumerate(commands):
            if not _extracts(cmd):  # `tar -t` lists, `tar -c` creates, `unzip -l` lists: nothing is unpacked
                continue
            named = [w.value for w in cmd.args]
            for w in cmd.args:
                self.last[basename(w.value)] = i
                if w.value.startswith("-") and not w.value.startswith("--") and "f" in w.value:
                    self.last[basename(w.value.partition("f")[2])] = i
            if cmd.name in ("tar", "bsdtar") and _members_named(named):
                self.partial.update(basename(v) for v in named)

    def after(self, i: int, name: str) -> bool:
        return self.last.get(basename(name), -1) > i

    def whole(self, name: str) -> bool:
        """No unpacking takes only some members (`tar -xzf a.tgz ./VERSION`): the rest still needs the archive."""
        return basename(name) not in self.partial


def _extracts(cmd: Command) -> bool:
    if cmd.name in ("tar", "bsdtar"):
        return tar_extracts(cmd)
    if cmd.name == "unzip":
        return not any(w.value in ("-l", "-t", "-Z", "-v", "-z", "-p", "-c") for w in cmd.args)
    return cmd.name == "7z" and bool(cmd.args) and cmd.args[0].value in ("x", "e")


def _members_named(words: list[str]) -> bool:
    """A tar command line naming something besides its archive and options: the members to extract. The word
    after `-C`/`--directory`/`-f`, and the old-style first word (`xzf`), are options' values."""
    rest, skip = [], False
    for i, word in enumerate(words):
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in ("-C", "--directory", "-f", "--file") or (not word.startswith("--") and word.endswith("f"))
        elif i == 0 and "x" in word:  # `tar xzf A`: old-style letters, `f` taking the next word
            skip = "f" in word
        else:
            rest.append(word)
    return len(rest) > 0


@rule("DLR004")
def archive_kept_after_unpacking(ctx: Context) -> Iterator[Violation]:
    """Downloaded, unpacked, and left in the layer: the archive's bytes ship twice (packed and unpacked).
    Only when the RUN names the file literally and no later instruction mentions it."""
    df = ctx.dockerfile
    for instr in ctx.runs():
        text = df.text_of(instr)
        if not ("curl" in text or "wget" in text) or not ("tar" in text or "zip" in text or "7z" in text):
            continue
        script = ctx.script(instr)
        if script is None or script.errors:
            continue
        commands = script.commands
        unpacks: _Unpacks | None = None
        for i, cmd in enumerate(commands):
            word = downloaded_file(cmd)
            if word is None:
                continue
            name = _file_name(word)
            if not name or not is_archive(name) or "$" in name:
                continue
            unpacks = unpacks or _Unpacks(commands)
            if not unpacks.after(i, name):
                continue
            whole = unpacks.whole(name)
            removed = removals(ctx, instr)
            if removed is not None and removed.file_after(i, name):
                continue
            if df.text.rfind(basename(name)) >= instr.end_offset:  # a later instruction names it
                continue
            if name.startswith("/") and under(name, mount_targets(instr)):  # written to a mount, not the layer
                continue
            # The fix removes the file where it was written: an absolute path, so a `cd` cannot mislead it;
            # not in a stage another copies from, where a COPY of its directory may take the archive along.
            edit = (append_command(df, instr, script, f"rm -f {name}", ctx.shell_in_force(instr))
                    if name.startswith("/") and re.fullmatch(r"[\w./+-]+", name) and not _copied_from(ctx, instr)
                    and not as_other_user(cmd)  # written as root by a user who is not: `rm` would fail
                    and whole and not _named_later(ctx, instr, name)
                    else None)
            yield ctx.violation("DLR004", f"`{name}` is unpacked but not removed in this RUN: its bytes stay in the "
                                f"layer; add `rm -f {name}` after unpacking", instr, word.start_offset, word.end_offset,
                                Fix((edit,)) if edit else None)


def _copied_from(ctx: Context, instr: Instruction) -> bool:
    """Another stage may take files of this one: it builds FROM it, copies or mounts from it (by name, by
    index, or through a `$` dlint does not resolve); or a later instruction of the stage names the archive's
    directory (`cp -r /opt/dl /srv`): _named_later. Then a removal may take the archive from them."""
    stage = ctx.dockerfile.stage_of(instr)
    taken = ctx.per_file(_taken_stages)
    return stage is None or taken is None or stage.index in taken


def _taken_stages(ctx: Context) -> frozenset[int] | None:
    """The stages others take files from, found once per file (asked per archive, it was a walk over every
    instruction's flags each time); None when a `$` source may name any of them."""
    df = ctx.dockerfile
    taken = {s.parent for s in df.stages if s.parent is not None}
    by_name = {name: s.index for s in df.stages for name in (str(s.index), s.alias) if name}
    for other in df.instructions:
        for flag in other.flags:
            source = flag.value if flag.name == "from" else flag.options().get("from") if flag.name == "mount" else None
            if source and "$" in source:
                return None
            if source and source.lower() in by_name:
                taken.add(by_name[source.lower()])
    return frozenset(taken)


def _named_later(ctx: Context, instr: Instruction, name: str) -> bool:
    """A later instruction names the archive's directory (other than / or /tmp, which every file mentions), or a
    glob in it (`pip install /tmp/*.tar.gz`) that may match the archive. `name` is an absolute path of
    `[\\w./+-]` characters."""
    text, directory = ctx.dockerfile.text, name.rsplit("/", 1)[0]
    if directory not in ("", "/tmp") and text.find(directory, instr.end_offset) >= 0:
        return True
    held = ctx.variable_text  # `ENV TARBALL=/opt/x.tar.gz`, then `$TARBALL` in a later RUN
    if name in held or (directory not in ("", "/tmp") and directory in held):
        return True
    return ctx.per_file(_globbed_directories).get(directory, -1) >= instr.end_offset


_GLOB_COMPONENT = lazy(r"/[^\s'\"/]*[*?\[]")


def _globbed_directories(ctx: Context) -> dict[str, int]:
    """Each directory a glob's component follows (`/tmp` of `/tmp/*.tgz`, and `` and `/a` of `/a/b/*`'s
    tail `/b`), with the start of its last such mention: one pass over the file, where a search per archive
    was a pass each. A directory holds `[\\w./+-]` only, so its mention is a suffix, from a `/`, of the run of
    those characters before the glob's `/`; the glob character ends each run, so the runs do not overlap."""
    text, found = ctx.dockerfile.text, {}
    for m in _GLOB_COMPONENT.finditer(text):
        slash = run = m.start()
        while run > 0 and (text[run - 1].isalnum() or text[run - 1] in "_./+-"):
            run -= 1
        found[""] = slash
        for at in range(run, slash):
            if text[at] == "/":
                found[text[at:slash]] = at
    return found


@rule("DLR005")
def gem_install_documentation(ctx: Context) -> Iterator[Violation]:
    if re.search(r"gem:\s*--no-(document|rdoc)", ctx.dockerfile.text):  # a .gemrc the build writes
        return
    for instr, cmd in commands_named(ctx, ("gem",)):
        words = [w for w in cmd.args if w.literal]
        if not words or words[0].value not in ("install", "update", "i"):
            continue
        values = {w.value for w in words}
        if values & {"--no-document", "-N", "--no-rdoc", "--no-ri"} or any(v.startswith("--document") for v in values):
            continue
        sub = words[0]
        # In exec form the option would have to be a JSON string of its own: the finding is left as it is.
        edit = None if instr.is_exec_form else insert_after(ctx.dockerfile, cmd, sub, " --no-document")
        fix = Fix((edit,)) if edit else None
        yield ctx.violation("DLR005", f"`gem {sub.value}` builds rdoc and ri documentation nobody reads in an "
                            "image; add `--no-document`", instr, sub.start_offset, sub.end_offset, fix)
