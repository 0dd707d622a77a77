"""Platforms (`linux/arm64/v8`, `arm64`) as containerd's platforms package parses and normalises them.

One reading for the two checks that need one: DLB011 (a constant `FROM --platform=`) asks what a value
names, DLB015 (`dlint analyse`: a base image of another platform) compares two.
"""

from __future__ import annotations

from dlint.lazyre import lazy

_SPECIFIER = lazy(r"[a-z0-9_.-]+")
_OS = {"macos": "darwin"}
_ARCH = {"i386": "386", "x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "armel": "arm"}
_KNOWN_OS = frozenset(["aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"])  # fmt: skip
_KNOWN_ARCH = frozenset(["386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"])  # fmt: skip


def normalize(os_name: str, arch: str, variant: str | None = None) -> tuple[str, str, str]:
    """(os, architecture, variant) as containerd compares them: arm64 is arm64/v8, aarch64 is arm64."""
    os_name, arch, variant = os_name.lower(), arch.lower(), (variant or "").lower()
    os_name = _OS.get(os_name, os_name)
    if arch == "armel" and not variant:
        variant = "v6"
    arch = _ARCH.get(arch, arch)
    if arch == "arm64" and variant in ("8", "v8"):
        variant = ""
    if arch == "arm" and variant.isdigit():
        variant = "v" + variant
    if arch == "arm" and not variant:
        variant = "v7"
    return os_name, arch, variant


def parse_platform(text: str) -> tuple[str, str, str] | None:
    """(os, architecture, variant), or None where platforms.Parse fails (a `$` too: not a constant). One word is
    an os (architecture amd64, where containerd takes the host's) or a known architecture (os linux)."""
    parts = text.lower().split("/")
    if len(parts) > 3 or not all(_SPECIFIER.fullmatch(p) for p in parts):
        return None
    if len(parts) == 1:
        if parts[0] in _KNOWN_OS:
            return normalize(parts[0], "amd64")
        found = normalize("linux", parts[0])
        return found if found[1] in _KNOWN_ARCH else None
    return normalize(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
