"""Bytes under cache directories, per layer, from the layer contents themselves.

Layer sizes say how big a step is; these say how much of it is package lists
and download caches, which is what DL3009, DLT001 and friends warn about. One
measurement path for every builder and every input: the `docker save` stream
(classic, BuildKit, Podman, `--image`) and archives on disk give the same Layer
summaries that waste accounting replays, so no container is made and nothing
is read through `get_archive`, which stays `dlint extract`'s. A step's bytes are
those of the files its layer writes under each directory. Call
`probe_layers(saved.layers)` with what `saved.read_save` (an engine's save
stream) or `archive.read_archive` (a file or OCI directory) returned.
"""

from __future__ import annotations

from collections.abc import Iterable

from dlint.analyse.saved import Layer
from dlint.analyse.steps import StepRecord
from dlint.analyse.waste import Filesystem, visible_bytes
from dlint.lint.finding import Finding

APT_LISTS = "/var/lib/apt/lists"
CACHE_DIRS = (
    APT_LISTS,
    "/var/cache/apt",
    "/var/cache/apk",
    "/var/cache/yum",
    "/var/cache/dnf",
    "/root/.cache/pip",
    "/root/.npm",
    "/tmp",
)
# The rules whose subject is one of the probed directories: their findings get `measured_bytes`.
RULE_DIRS = {
    "DL3009": APT_LISTS,
    "DLT001": APT_LISTS,
    "DL3019": "/var/cache/apk",
    "DL3032": "/var/cache/yum",
    "DL3040": "/var/cache/dnf",
    "DL3042": "/root/.cache/pip",
}


def cache_bytes(layer: Layer, paths: Iterable[str] = CACHE_DIRS) -> dict[str, int]:
    """Bytes of regular files this layer writes under each path (paths it writes nothing under are left out)."""
    tops = {p.strip("/"): p for p in paths}
    sizes: dict[str, int] = {}
    for path, node in layer.nodes.items():
        if node.type != "file" or not node.size:
            continue
        for top, name in tops.items():
            if path.startswith(top + "/"):
                sizes[name] = sizes.get(name, 0) + node.size
    return sizes


def probe_layers(layers: list[Layer], paths: Iterable[str] = CACHE_DIRS) -> list[dict[str, int]]:
    """cache_bytes of each layer, oldest first: a step's `probes`, once layers are tied to steps."""
    chosen = tuple(paths)
    return [cache_bytes(layer, chosen) for layer in layers]


def add_probes(owners: list[StepRecord | None], layers: list[Layer]) -> list[StepRecord]:
    """Add each layer's cache-directory bytes to the probes of its step (`owners`: the step of each layer).

    Returns the steps that own a layer, once each: they are measured (empty
    probes included), so their findings can say so.
    """
    measured: dict[int, StepRecord] = {}
    for step, probe in zip(owners, probe_layers(layers), strict=True):
        if step is None:
            continue
        measured[id(step)] = step
        for path, n in probe.items():
            step.probes[path] = step.probes.get(path, 0) + n
    return list(measured.values())


def image_probes(fs: Filesystem) -> dict[str, int]:
    """What the image carries in each cache directory (those it carries nothing in are left out); `fs`: its layers
    replayed (waste.replay)."""
    return {path: n for path, n in visible_bytes(fs, CACHE_DIRS).items() if n}


def annotate(findings: list[Finding], measured: list[StepRecord]) -> None:
    """Give each finding about a probed directory the bytes its step's layer holds there (0 included)."""
    probed = {s.line: s for s in measured}
    for finding in findings:
        directory = RULE_DIRS.get(finding.code)
        step = probed.get(finding.instruction_line)
        if directory and step is not None:
            finding.extra["measured_bytes"] = step.probes.get(directory, 0)
