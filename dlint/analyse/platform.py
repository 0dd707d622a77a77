"""BuildKit's InvalidBaseImagePlatform (DLB015), which needs the base images at hand: `dlint analyse` only.

A stage's base image was pulled (or loaded) for one os/architecture while the
stage is built for another: the `FROM --platform=` value when it is a constant,
else the platform the engine builds for. A base dlint cannot inspect (scratch,
another stage, a name with a variable, an image the engine does not have) says
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlint.lint.check_directive import parse_check
from dlint.lint.finding import Finding, Violation
from dlint.model import Dockerfile
from dlint.parsing.platform import normalize, parse_platform

if TYPE_CHECKING:
    from dlint.lint.engine import Selection

CODE = "DLB015"


def formatted(platform: tuple[str, str, str]) -> str:
    return "/".join(p for p in platform if p)


def image_platform(inspect: dict) -> tuple[str, str, str] | None:
    """The platform `docker image inspect` gives (Os, Architecture, Variant); None when it names none."""
    os_name, arch = inspect.get("Os") or "", inspect.get("Architecture") or ""
    if not os_name or not arch:
        return None
    return normalize(os_name, arch, inspect.get("Variant"))


def engine_platform(version: dict) -> tuple[str, str, str] | None:
    """The platform the daemon builds for by default, from its /version answer."""
    os_name, arch = version.get("Os") or "", version.get("Arch") or ""
    return normalize(os_name, arch) if os_name and arch else None


def findings(df: Dockerfile, inspect, target: tuple[str, str, str] | None, selection: Selection) -> list[Finding]:
    """One DLB015 finding per FROM whose base image's platform is not the stage's.

    `inspect(name)` returns the image's inspect dict or None (not there, not readable); `target` is the
    build's platform. `selection` is the file's, as for every other rule: whether DLB015 runs, its level,
    and whether its pragmas silence it (a silenced finding is left out, as analyse leaves out every one).
    """
    from dlint.lint.engine import mark_suppressed, runs, to_finding
    from dlint.lint.registry import all_rules
    from dlint.lint.suppress import read_pragmas

    rule = all_rules()[CODE]
    directive = parse_check(df.directives.check)
    if not runs(rule, selection.codes, directive):
        return []
    aliases = {s.alias for s in df.stages if s.alias}
    found: list[tuple[Finding, int]] = []
    for stage in df.stages:
        base = stage.base
        if stage.parent is not None or not base or "$" in base or base.lower() in ("scratch", *aliases):
            continue
        if stage.platform is not None:
            expected = parse_platform(stage.platform)
            if expected is None:  # $BUILDPLATFORM, $TARGETPLATFORM, ...: not a constant dlint can compare
                continue
        else:
            expected = target
        if expected is None:
            continue
        data = inspect(base)
        actual = image_platform(data) if data else None
        instr = stage.from_instruction
        if actual is None or actual == expected:
            continue
        message = (f"Base image {base} was pulled with platform {formatted(actual)!r}, "
                   f"expected {formatted(expected)!r} for current build")
        violation = Violation(CODE, message, instr.start_offset, instr.end_offset, instr.index)
        found.append((to_finding(df, violation, rule, selection, directive), instr.index))
    mark_suppressed(df, read_pragmas(df), found, selection)
    return [f for f, _ in found if not f.suppressed]  # as analyse leaves out every silenced finding
