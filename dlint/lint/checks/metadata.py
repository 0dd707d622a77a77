"""Image metadata rules: MAINTAINER and LABEL keys."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import pairs
from dlint.lint.context import Context
from dlint.lint.finding import Edit, Fix, Violation
from dlint.lint.registry import rule

RESERVED_NAMESPACES = ("com.docker.", "io.docker.", "org.dockerproject.")
_LABEL_KEY = lazy(r"[a-z](?:[a-z0-9._-]*[a-z0-9])?")


@rule("DL4000")
def maintainer(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "MAINTAINER":
            continue
        label = f"LABEL maintainer={_quoted(instr.args.value, ctx.dockerfile.directives.escape)}"
        yield ctx.violation(
            "DL4000",
            "MAINTAINER is deprecated: it sets a field nothing reads; write "
            f"`{label}` (or `org.opencontainers.image.authors`)",
            instr,
            fix=Fix((Edit(instr.start_offset, instr.end_offset, label),), safe=False),
        )


def _quoted(value: str, escape: str) -> str:
    """`value` as a double-quoted LABEL value BuildKit reads back as it is: MAINTAINER expands nothing, LABEL
    expands `$`, and inside double quotes the file's escape character escapes `"`, `$` and itself."""
    escaped = "".join(escape + c if c in ('"', "$", escape) else c for c in value)
    return f'"{escaped}"'


def label_key_problem(key: str) -> str | None:
    if not _LABEL_KEY.fullmatch(key):
        return "keys use a-z, 0-9, `.`, `-` and `_`, start with a letter and end with a letter or digit"
    if ".." in key or "--" in key:
        return "keys have no repeated `.` or `-`"
    if key.startswith(RESERVED_NAMESPACES):
        return "the com.docker., io.docker. and org.dockerproject. namespaces are Docker's"
    return None


@rule("DL3048")
def invalid_label_key(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "LABEL":
            continue
        bad = [(key, problem) for key, _ in ctx.per_instruction(pairs, instr)
               if "$" not in key.value and (problem := label_key_problem(key.value))]  # fmt: skip
        if bad:
            key, problem = bad[0]
            names = ", ".join(f"`{k.value}`" for k, _ in bad)
            yield ctx.violation("DL3048", f"invalid label key {names}: {problem}", instr, key.start, key.end)
