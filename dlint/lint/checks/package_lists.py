"""Package lists of system package managers: sorted and free of repeats."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.context import Context
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction
from dlint.parsing.packages import PackageCommand, package_name
from dlint.parsing.shell import Word

_COMMENT_LINE = lazy(r"\n[ \t]*#")
_BLANKS = lazy(r"(?:[ \t\r]|\\[ \t]*\r?\n)+")  # spaces and `\` continuations, nothing else

INSTALLS = {
    "apt-get": {"install"},
    "apt": {"install"},
    "aptitude": {"install"},
    "apk": {"add"},
    "yum": {"install"},
    "dnf": {"install"},
    "microdnf": {"install"},
    "zypper": {"install"},  # `zypper in` is read as "install"
}


SystemInstall = tuple[Instruction, PackageCommand, list[tuple[Word, str]]]


def system_installs(ctx: Context) -> tuple[SystemInstall, ...]:
    """Each system install command with its literal packages and their comparison keys, listed
    once per file (DLT002 and DLT003 both read them).

    A variable's packages are unknown: it neither sorts nor repeats.
    """
    return ctx.per_file(_system_installs)


def _system_installs(ctx: Context) -> tuple[SystemInstall, ...]:
    return tuple(
        (instr, pc, [(w, _key(w.value, pc.manager)) for w in pc.packages if w.literal])
        for instr, pc in ctx.all_package_commands()
        if pc.subcommand in INSTALLS.get(pc.manager, ())
    )


def _key(value: str, manager: str) -> str:
    """A path, URL or glob is a whole word (`./a_1.0.deb`, `https://h/x.rpm`, `libfoo*`): never cut to a prefix."""
    if value[:1] in "./~" or "://" in value or any(c in value for c in "*?["):
        return value
    return package_name(value, manager)


@rule("DLT002")
def unsorted_packages(ctx: Context) -> Iterator[Violation]:
    for instr, pc, words in system_installs(ctx):
        for (prev_word, prev), (word, key) in zip(words, words[1:], strict=False):
            if key < prev:
                yield ctx.violation(
                    "DLT002",
                    f"packages of `{pc.manager} {pc.subcommand}` are not sorted: `{word.value}` should come "
                    f"before `{prev_word.value}`",
                    instr,
                    word.start_offset,
                    word.end_offset,
                    sort_words(ctx.dockerfile, words),
                )
                break


def as_written(df: Dockerfile, word: Word) -> bool:
    """The file spells the word as the shell reads it: not through the escapes of an outer string (`\\"b\\"`
    in `sh -c "..."`, `\\u0062` in exec form JSON), where its offsets are not those of its text."""
    return df.text[word.start_offset : word.end_offset] == word.raw


def sort_words(df: Dockerfile, words: list[tuple[Word, str]]) -> Fix | None:
    """Each package position gets the text of the word that sorts there: pins travel with
    their package, options and variables stay put, and so do the line breaks between words.

    None when a comment line sits among the words (it would end up describing
    another package), a word spans lines or is spelt through an outer string's escapes.
    """
    texts = [df.text[w.start_offset : w.end_offset] for w, _ in words]
    span = df.text[words[0][0].start_offset : words[-1][0].end_offset]
    if any("\n" in t for t in texts) or _COMMENT_LINE.search(span) or not all(as_written(df, w) for w, _ in words):
        return None
    order = sorted(range(len(words)), key=lambda i: words[i][1])
    moves = [(word, texts[j]) for ((word, _), j, text) in zip(words, order, texts, strict=True) if texts[j] != text]
    return Fix(tuple(Edit(word.start_offset, word.end_offset, text) for word, text in moves))


_APT = frozenset({"apt-get", "apt", "aptitude"})


def _architecture(value: str, manager: str) -> str:
    """apt's `:arch` qualifier (`libc6:i386`): another architecture's package is another package."""
    word = value.split("=", 1)[0].split("/", 1)[0]  # not an epoch's `:` (`curl=1:7.88`)
    return word.split(":", 1)[1].lower() if manager in _APT and ":" in word else ""


@rule("DLT003")
def duplicate_packages(ctx: Context) -> Iterator[Violation]:
    for instr, pc, words in system_installs(ctx):
        seen: dict[tuple[str, str], Word] = {}
        position = {id(w): i for i, w in enumerate(pc.command.words)}  # one table, not a search per repeat
        for word, name in words:
            key = (name, _architecture(word.value, pc.manager))
            if key in seen:
                yield ctx.violation(
                    "DLT003",
                    f"`{name}` is named more than once in this `{pc.manager} {pc.subcommand}`",
                    instr,
                    word.start_offset,
                    word.end_offset,
                    drop_word(ctx.dockerfile, pc, word, seen[key], position),
                )
            else:
                seen[key] = word


def drop_word(df: Dockerfile, pc: PackageCommand, word: Word, first: Word, position: dict[int, int]) -> Fix | None:
    """Delete the repeat with the blanks (and continuations) before it, so the layout closes up.

    Unsafe when the repeat is spelled differently (`curl=8.5.0-2` after `curl`,
    `libc6:i386` after `libc6:amd64`): the build may then install something else.
    """
    words = pc.command.words
    before = words[position[id(word)] - 1]
    gap = df.text[before.end_offset : word.start_offset]
    if not _BLANKS.fullmatch(gap) or not (as_written(df, before) and as_written(df, word)):
        return None
    if before.raw.isdigit() and df.text[word.end_offset : word.end_offset + 1] in ("<", ">"):
        return None  # `-d 1 x>log` would become `-d 1>log`: the 1 would be the redirection's descriptor
    return Fix((Edit(before.end_offset, word.end_offset, ""),), safe=word.value == first.value)
