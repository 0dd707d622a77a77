"""COPY and ADD rules: what is copied, from where, to where."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import (
    Operand,
    copy_operands,
    from_flag,
    keyword_span,
    parse_image,
    stage_named,
)
from dlint.lint.context import Context
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction
from dlint.parsing.shell import Command

# What ADD unpacks (hadolint's list and zstd, which BuildKit decompresses too; it detects tar archives by
# content, these are their names).
ARCHIVE_SUFFIXES = (".tar", ".z", ".bz2", ".gz", ".lz", ".lzma", ".tz", ".tb2", ".tbz", ".tbz2", ".tgz",
                    ".tlz", ".tpz", ".txz", ".xz", ".zst", ".tzst", ".zstd")  # fmt: skip
GLOB = frozenset("*?[")
UNPACKERS = frozenset({"unzip", "gunzip", "bunzip2", "unlzma", "unxz", "zgz", "uncompress", "zcat", "gzcat"})
ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def is_remote(source: str) -> bool:
    """A URL or a git repository (also in scp form, `user@host:path`, as BuildKit reads one): what only ADD can fetch."""
    lowered = source.lower()
    return lowered.startswith(("http://", "https://", "git://", "git@", "ssh://")) or lowered.endswith(".git") \
        or _SCP_STYLE.match(source) is not None


_SCP_STYLE = lazy(r"[\w.+-]+@[\w.-]+:")
# ADD unpacks a local tar (compressed or not) whatever its name: BuildKit looks at the content. COPY is
# what ADD did for sure only for a directory or a file whose name says it is not an archive.
PLAIN_SUFFIXES = (".txt", ".md", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".html",
                  ".css", ".js", ".mjs", ".ts", ".py", ".sh", ".rb", ".go", ".rs", ".java", ".c", ".h", ".php",
                  ".pl", ".lock", ".properties", ".env", ".sql", ".csv", ".pem", ".crt", ".key", ".pub", ".list",
                  ".repo", ".service", ".png", ".jpg", ".svg", ".ico", ".jar", ".war", ".so", ".exe", ".whl", ".deb",
                  ".rpm", ".zip")


def surely_not_archive(source: str) -> bool:
    """A directory (`dir/`, `.`) or a file named as something that is not a tar."""
    return source.endswith("/") or basename(source) in (".", "..") or source.lower().endswith(PLAIN_SUFFIXES)


def basename(path: str) -> str:
    return path.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1]


def copies(df: Dockerfile, keywords: tuple[str, ...] = ("COPY",)) -> Iterator[Instruction]:
    return (i for i in df.instructions if i.keyword in keywords and i.stage >= 0)


def copies_from(df: Dockerfile) -> Iterator[tuple[Instruction, tuple[str, int, int]]]:
    """Each COPY with a literal `--from` name, and the flag (a `$` is a build argument: not resolved)."""
    for instr in copies(df):
        found = from_flag(instr)
        if found is not None and "$" not in found[0]:
            yield instr, found


@rule("DL3020")
def add_for_local_files(ctx: Context) -> Iterator[Violation]:
    for instr in copies(ctx.dockerfile, ("ADD",)):
        sources, _ = ctx.per_instruction(copy_operands, instr)
        local = [
            s for s in sources
            if "$" not in s.value and not is_remote(s.value) and not is_archive(s.value)
        ]  # fmt: skip
        if not local:
            continue
        start, end = keyword_span(instr)
        fix = None
        # COPY does what ADD did only when every source is a local file or directory named as it is: a URL,
        # an archive, a `$` or a wildcard (which may match an archive) among them, and ADD does more. A keyword
        # split by a line continuation is left as it is.
        if len(local) == len(sources) and not any(GLOB & set(s.value) for s in sources) \
                and not any(f.name in ADD_ONLY_FLAGS for f in instr.flags) \
                and ctx.dockerfile.text[start:end] == instr.raw_keyword:
            # Unsafe for a file whose name does not say: it may be a tar (a .gem, an .ova, `rootfs`).
            copy = "copy" if instr.raw_keyword.islower() else "COPY"  # in the file's own case: `add` -> `copy`
            fix = Fix((Edit(start, end, copy),), safe=all(surely_not_archive(s.value) for s in sources))
        yield ctx.violation(
            "DL3020",
            f"ADD of local `{local[0].value}`: ADD also unpacks archives and fetches URLs, so say what you "
            "mean with COPY",
            instr,
            start,
            end,
            fix,
        )


def tar_extracts(cmd: Command) -> bool:
    if cmd.name != "tar" or not cmd.args:
        return False
    first = cmd.args[0].value
    if not first.startswith("-") and "x" in first:  # old-style bundled options: `tar xzf a.tgz`
        return True
    options = [w.value for w in cmd.args if w.value.startswith("-")]
    return any(o in ("--extract", "--get") or (not o.startswith("--") and "x" in o) for o in options)


@rule("DL3010")
def copy_then_extract(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for stage in df.stages:
        archives: dict[str, tuple[Instruction, Operand]] = {}
        reported: set[int] = set()
        for instr in stage.instructions:
            if instr.keyword == "COPY" and instr.flag("from") is None:
                sources, dest = ctx.per_instruction(copy_operands, instr)
                if dest is not None and is_archive(dest.value):
                    archives[basename(dest.value)] = (instr, dest)
                for source in sources:
                    if is_archive(source.value):
                        archives[basename(source.value)] = (instr, source)
            elif instr.keyword == "RUN" and archives and (script := ctx.script(instr)):
                for cmd in script.commands:
                    if not (tar_extracts(cmd) or cmd.name in UNPACKERS):
                        continue
                    for word in cmd.args:
                        found = archives.get(basename(word.value))
                        if found is None or found[0].index in reported:
                            continue
                        copy, op = found
                        reported.add(copy.index)
                        yield ctx.violation(
                            "DL3010",
                            f"`{op.value}` is copied here and unpacked at line {instr.start_line}: the archive "
                            "stays in this layer; `ADD` unpacks it in one step",
                            copy,
                            op.start,
                            op.end,
                        )


def is_directory(dest: str) -> bool:
    return dest.endswith(("/", "\\")) or dest in (".", "..")


@rule("DL3021")
def multiple_sources_need_directory(ctx: Context) -> Iterator[Violation]:
    for instr in copies(ctx.dockerfile, ("COPY", "ADD")):
        sources, dest = ctx.per_instruction(copy_operands, instr)
        if dest is None or len(sources) < 2 or is_directory(dest.value):
            continue
        yield ctx.violation(
            "DL3021",
            f"{instr.keyword} of {len(sources)} sources needs a directory destination ending in `/`: "
            f"write `{dest.value}/`",
            instr,
            dest.start,
            dest.end,
        )


@rule("DL3022")
def copy_from_unknown_stage(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr, found in copies_from(df):
        source, start, end = found
        current = df.stages[instr.stage]
        target = stage_named(df, source)
        if target is not None and target.index < current.index:
            continue
        if target is current:
            continue  # DL3023
        if target is not None:
            message = (f"`--from={source}` names the stage at line {target.from_instruction.start_line}, "
                       "which comes later: only earlier stages can be copied from")  # fmt: skip
        elif source.isdigit():
            message = f"`--from={source}`: there is no stage {source} before this one"
        elif (ref := parse_image(source)).tag is not None or ref.digest is not None:
            continue  # a pinned image reference
        elif any(c in source for c in "/:"):
            message = (f"`--from={source}` pulls an image without a tag: whatever `latest` is that day; "
                       "pin a tag or digest")  # fmt: skip
        else:
            message = (f"`--from={source}`: no stage is named `{source}` before this line, so BuildKit "
                       f"pulls an image called `{source}`; a typo?")  # fmt: skip
        yield ctx.violation("DL3022", message, instr, start, end)


@rule("DL3023")
def copy_from_own_stage(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for instr in copies(df):
        found = from_flag(instr)
        if found is None:
            continue
        source, start, end = found
        if stage_named(df, source) is df.stages[instr.stage]:
            yield ctx.violation(
                "DL3023",
                f"`--from={source}` names the stage this COPY is in: a stage cannot copy from itself",
                instr,
                start,
                end,
            )


@rule("DL3067")
def copy_whole_filesystem(ctx: Context) -> Iterator[Violation]:
    for instr in copies(ctx.dockerfile):
        found = from_flag(instr)
        sources, dest = ctx.per_instruction(copy_operands, instr)
        if found is None or dest is None or dest.value != "/" or not any(s.value == "/" for s in sources):
            continue
        yield ctx.violation(
            "DL3067",
            f"`COPY --from={found[0]} / /` copies a whole file system over this one: it duplicates every "
            "file in a new layer and replaces the stage's users, certificates and package database; copy "
            "the paths you need",
            instr,
            sources[0].start,
            dest.end,
        )
