"""FROM rules: which image a stage starts from, for which platform, under what name."""

from __future__ import annotations

from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import (
    ImageRef,
    Operand,
    from_flag,
    keyword_span,
    operands,
    parse_image,
    stage_named,
    unquote,
)
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule
from dlint.model import Dockerfile, Instruction, Stage

RESERVED_STAGE_NAMES = frozenset({"scratch", "context"})
DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com"})
TARGETPLATFORM = frozenset({"$TARGETPLATFORM", "${TARGETPLATFORM}"})
_VARIABLE = lazy(r"\$(?:\{(\w+)\}|(\w+))")


def image_operand(df: Dockerfile, stage: Stage) -> Operand | None:
    """The image word of a stage's FROM (flags are not among the values); None for a bare `FROM`."""
    ops = operands(stage.from_instruction, df.directives.escape)
    return ops[0] if ops else None


def alias_span(df: Dockerfile, stage: Stage) -> tuple[int, int]:
    """Where `AS name` names the stage; the keyword when the name cannot be located."""
    ops = operands(stage.from_instruction, df.directives.escape)
    return (ops[2].start, ops[2].end) if len(ops) >= 3 else keyword_span(stage.from_instruction)


def external_images(df: Dockerfile) -> Iterator[tuple[Stage, ImageRef, Operand]]:
    """Stages that start from an image (not scratch, not an earlier stage, no variable)."""
    for stage in df.stages:
        op = image_operand(df, stage)
        base = op.value if op else ""
        if not base or "$" in base or base.lower() == "scratch" or stage.parent is not None:
            continue
        yield stage, parse_image(base), op


@rule("DL3006")
def untagged_image(ctx: Context) -> Iterator[Violation]:
    for stage, ref, op in external_images(ctx.dockerfile):
        if ref.tag is None and ref.digest is None:
            yield ctx.violation(
                "DL3006",
                f"`{op.value}` has no tag: the build takes whatever `latest` is that day; name a version",
                stage.from_instruction,
                op.start,
                op.end,
            )


@rule("DL3007")
def latest_tag(ctx: Context) -> Iterator[Violation]:
    for stage, ref, op in external_images(ctx.dockerfile):
        if ref.tag == "latest" and ref.digest is None:
            yield ctx.violation(
                "DL3007",
                f"`{op.value}` follows `latest`, which moves with every release; pin a version tag",
                stage.from_instruction,
                op.start,
                op.end,
            )


def global_arg_defaults(df: Dockerfile) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for instr in df.global_args:
        for value in instr.values:
            name, eq, default = value.partition("=")
            if eq:
                defaults[name] = unquote(default, df.directives.escape)
    return defaults


def resolve(reference: str, defaults: dict[str, str]) -> str:
    """`$VAR`/`${VAR}` replaced by the global ARG defaults BuildKit would use."""
    return _VARIABLE.sub(lambda m: defaults.get(m.group(1) or m.group(2), m.group(0)), reference)


def registry_of(ref: ImageRef) -> str:
    return ref.registry or "docker.io"


def is_trusted(registry: str, trusted: frozenset[str]) -> bool:
    if registry in trusted:
        return True
    return registry in DOCKER_HUB and bool(trusted & DOCKER_HUB)


@rule("DL3026")
def untrusted_registry(ctx: Context) -> Iterator[Violation]:
    options = ctx.options.get("DL3026", {})
    trusted = frozenset(options.get("trusted-registries", ()))
    if not trusted:
        return
    df = ctx.dockerfile
    defaults = global_arg_defaults(df)
    pulls: list[tuple[Instruction, Operand]] = []  # each image the build pulls, and where it is named
    for stage in df.stages:
        op = image_operand(df, stage)
        if op and stage.parent is None and op.value.lower() != "scratch":
            pulls.append((stage.from_instruction, op))
        for instr in stage.instructions:
            found = from_flag(instr) if instr.keyword == "COPY" else None
            if found is not None and not found[0].isdigit() and stage_named(df, found[0], stage.index) is None:
                pulls.append((instr, Operand(*found)))
    for instr, op in pulls:
        resolved = resolve(op.value, defaults)
        if "$" in resolved:
            yield ctx.violation(
                "DL3026",
                f"the registry of `{op.value}` depends on a build argument without a default: "
                "it cannot be checked against the trusted registries",
                instr,
                op.start,
                op.end,
            )
            continue
        registry = registry_of(parse_image(resolved))
        if not is_trusted(registry, trusted):
            yield ctx.violation(
                "DL3026",
                f"`{resolved}` comes from `{registry}`, which is not a trusted registry "
                f"({', '.join(sorted(trusted))})",
                instr,
                op.start,
                op.end,
            )


def platform_flags(df: Dockerfile) -> Iterator[tuple[Instruction, Operand]]:
    """Each FROM with a `--platform` value, and where the flag is written."""
    for stage in df.stages:
        flag = stage.from_instruction.flag("platform")
        if flag is not None and flag.value:
            yield stage.from_instruction, Operand(flag.value, flag.start_offset, flag.end_offset)


@rule("DL3029")
def fixed_platform(ctx: Context) -> Iterator[Violation]:
    for instr, flag in platform_flags(ctx.dockerfile):
        if "$" not in flag.raw:
            yield ctx.violation(
                "DL3029",
                f"`--platform={flag.raw}` pins this stage to one platform: builds for other platforms "
                "get an emulated or wrong image; use `$BUILDPLATFORM`/`$TARGETPLATFORM` or drop the flag",
                instr,
                flag.start,
                flag.end,
            )


@rule("DL3065")
def redundant_target_platform(ctx: Context) -> Iterator[Violation]:
    for instr, flag in platform_flags(ctx.dockerfile):
        if flag.raw in TARGETPLATFORM:
            yield ctx.violation(
                "DL3065",
                "`--platform=$TARGETPLATFORM` is what FROM does anyway; drop the flag",
                instr,
                flag.start,
                flag.end,
            )


@rule("DL3024")
def duplicate_stage_name(ctx: Context) -> Iterator[Violation]:
    seen: dict[str, Stage] = {}
    for stage in ctx.dockerfile.stages:
        if stage.alias is None:
            continue
        first = seen.setdefault(stage.alias, stage)
        if first is not stage:
            yield ctx.violation(
                "DL3024",
                f"stage name `{stage.alias}` is already used by the stage at line "
                f"{first.from_instruction.start_line}; stage names must be unique",
                stage.from_instruction,
                *alias_span(ctx.dockerfile, stage),
            )


@rule("DL3063")
def reserved_stage_name(ctx: Context) -> Iterator[Violation]:
    for stage in ctx.dockerfile.stages:
        if stage.alias in RESERVED_STAGE_NAMES:
            yield ctx.violation(
                "DL3063",
                f"`{stage.alias}` is a reserved name (`FROM {stage.alias}`, `COPY --from={stage.alias}` "
                "mean something else to BuildKit); rename the stage",
                stage.from_instruction,
                *alias_span(ctx.dockerfile, stage),
            )


@rule("DL3061")
def instruction_before_from(ctx: Context) -> Iterator[Violation]:
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "FROM":
            return
        if instr.keyword != "ARG":
            start, end = keyword_span(instr)
            yield ctx.violation(
                "DL3061",
                f"`{instr.keyword}` before the first FROM: only ARG may come before FROM",
                instr,
                start,
                end,
            )
            return
