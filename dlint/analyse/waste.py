"""Waste accounting: bytes an image stores in its layers that its final filesystem never shows.

The layers (read by `saved` from the engine's save stream) are replayed in
order the way overlayfs stacks them:

- `.wh.NAME` removes NAME (a file or a whole directory) of the layers below;
  `.wh..wh..opq` hides everything the layers below put in its directory;
- a path written again replaces the lower copy; when the content is the same
  (a `chmod`/`chown` copies the whole file up) the write is a copy-up;
- hard links share their data, which is counted once and is lost only when
  the last name that reaches it is.

Only the copies that are hidden are waste (N-1 accounting): the copy the
final filesystem shows is what the image is for, unlike dive, which counts
every copy of a path written twice (wagoodman/dive#684).

    efficiency = 1 - wasted bytes / stored bytes

where stored bytes are the regular-file bytes of all layers (hard links once)
and wasted bytes those of the copies hidden by a later layer.
"""

from __future__ import annotations

import functools
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from dlint.analyse.saved import Layer, Node, SavedImage
from dlint.analyse.steps import StepRecord

Kind = Literal["deleted", "overwritten", "copy-up"]


# --- layers -> steps ----------------------------------------------------------------------


def layer_owners(config: dict, row_owners: list[StepRecord | None], layer_count: int) -> list[StepRecord | None]:
    """The step of each layer, oldest first.

    `row_owners` follows the engine's history rows (newest first), which are
    the config's `history` entries reversed; the entries that are not
    `empty_layer` are the layers, in order.
    """
    history = config.get("history") or []
    if not isinstance(history, list) or len(history) != len(row_owners) or not all(isinstance(h, dict) for h in history):
        return [None] * layer_count
    owners = [owner for entry, owner in zip(history, reversed(row_owners), strict=True) if not entry.get("empty_layer")]
    return (owners + [None] * layer_count)[:layer_count]


# --- replaying the layers -----------------------------------------------------------------


_Inode = tuple[int, str]  # where a file's data was first written: the layer's index and its path there


@dataclass(frozen=True, slots=True)
class _Loss:
    """Bytes one layer adds and a later one deletes or overwrites, before grouping by directory."""

    path: str
    bytes: int
    kind: Kind
    added: int  # layer indexes
    removed: int
    meta_changed: bool = False


class Filesystem:
    """The merged view of the layers replayed so far: each visible path and the data it reaches.

    A visible path is held as the index of the layer it shows (its node is that layer's), and the count of
    names is kept only for data a hard link reaches: a tuple of node and inode per path, and a count per
    file, took ~330 bytes a file, 67 MB of replay for a layer of 200,000 empty files.
    """

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers
        self.visible: dict[str, int] = {}  # each visible path: the index of the layer whose node it shows
        self.children: dict[str, set[str]] = defaultdict(set)
        self.names: dict[_Inode, int] = defaultdict(int)  # visible names of the data hard links reach
        self.linked: list[frozenset[str]] = []  # of each layer: the paths its hard links reach
        self.losses: list[_Loss] = []

    def apply(self, index: int, layer: Layer) -> None:
        self.linked.append(frozenset(n.target for n in layer.nodes.values() if n.type == "link" and n.target))
        for directory in layer.opaque:
            for child in list(self.children.get(directory, ())):
                self._hide(child, index, "deleted")
        for path in layer.whiteouts:
            self._hide(path, index, "deleted")
        for path in sorted(layer.nodes):  # parents before children; the names only (items: a tuple per path)
            node = layer.nodes[path]
            old = self.visible.get(path)
            lower_dir = self.node(path, old).type == "dir" if old is not None else bool(self.children.get(path))
            if (old is not None or lower_dir) and not (lower_dir and node.type == "dir"):  # lower_dir: or implied
                self._hide(path, index, "overwritten", replacement=(node, self._inode(index, path, node)))
            self._show(path, node, index)

    def node(self, path: str, index: int) -> Node:
        """The node a path shows from layer `index`."""
        return self.layers[index].nodes[path]

    def _inode(self, index: int, path: str, node: Node) -> _Inode | None:
        if node.type == "file":
            return index, path
        if node.type == "link" and node.target:
            target = self.layers[index].nodes.get(node.target)
            if target is not None and target.type == "file":
                return index, node.target
        return None

    def _show(self, path: str, node: Node, index: int) -> None:
        self.visible[path] = index
        # Data a hard link of this layer reaches: a link (its target is in linked) or a file it links to.
        inode = self._inode(index, path, node) if node.type == "link" or path in self.linked[index] else None
        if inode is not None:
            self.names[inode] += 1
        child = path
        while child:
            parent = posixpath.dirname(child)
            known = child in self.children[parent]
            self.children[parent].add(child)
            if known:
                break
            child = parent

    def _hide(self, path: str, index: int, kind: Kind, replacement: tuple[Node, _Inode | None] | None = None) -> None:
        """Remove `path` and everything under it from the view, recording the data that became unreachable."""
        parent = posixpath.dirname(path)
        if parent in self.children:
            self.children[parent].discard(path)
        stack = [path]
        while stack:
            current = stack.pop()
            stack.extend(self.children.pop(current, ()))
            shown = self.visible.pop(current, None)
            if shown is None:
                continue
            node = self.node(current, shown)
            inode = self._inode(shown, current, node)
            if inode is None:
                continue
            if inode[1] in self.linked[inode[0]]:
                self.names[inode] -= 1
                if self.names[inode]:
                    continue
            data = self.node(inode[1], inode[0])
            if not data.size:
                continue
            lost_kind, changed = kind, False
            if replacement is not None and current == path and replacement[1] is not None:
                if self.node(replacement[1][1], replacement[1][0]).digest == data.digest:
                    lost_kind, changed = "copy-up", replacement[0].meta != node.meta
            self.losses.append(_Loss(current, data.size, lost_kind, inode[0], index, changed))


# --- the report ---------------------------------------------------------------------------


@dataclass(slots=True)
class WasteEntry:
    """Wasted bytes under one path, tied to the steps that added and removed them."""

    path: str  # absolute; a directory when every byte the adding step wrote under it went the same way
    bytes: int
    kind: Kind
    files: int
    added: StepRecord | None
    removed: StepRecord | None
    suggestion: str

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "kind": self.kind,
            "files": self.files,
            "added_line": self.added.line if self.added else None,
            "removed_line": self.removed.line if self.removed else None,
            "added_instruction": self.added.instruction if self.added else None,
            "removed_instruction": self.removed.instruction if self.removed else None,
            "suggestion": self.suggestion,
        }


@dataclass
class WasteReport:
    """The image's waste, biggest first, and the step of each layer."""

    stored_bytes: int  # regular-file bytes of every layer, hard links once
    wasted_bytes: int
    entries: list[WasteEntry]  # biggest first
    compressed_size: int | None  # sum of the gzip blobs, when the engine gave every layer compressed
    layer_steps: list[StepRecord | None]  # the step of each layer, oldest first

    @property
    def efficiency(self) -> float:
        """1 - wasted/stored: the share of the stored bytes the final filesystem shows."""
        return 1.0 - self.wasted_bytes / self.stored_bytes if self.stored_bytes else 1.0

    def wasted_by(self, step: StepRecord) -> int:
        """Bytes a step added that a later step hid."""
        return self._wasted_by_step.get(id(step), 0)

    @functools.cached_property
    def _wasted_by_step(self) -> dict[int, int]:
        """wasted_by of every step, by identity, totalled once: each report row asks, and 2,000 steps
        over 200,000 entries, summed anew each time, took 14 s to render as JSON."""
        totals: dict[int, int] = defaultdict(int)
        for entry in self.entries:
            totals[id(entry.added)] += entry.bytes
        return totals


def replay(layers: list[Layer]) -> Filesystem:
    """The layers applied in order, oldest first: what the accounting and the cache-directory totals both read
    (one replay of a large image takes about as long as reading it from the layer cache)."""
    fs = Filesystem(layers)
    for index, layer in enumerate(layers):
        fs.apply(index, layer)
    return fs


def account(layers: list[Layer], owners: list[StepRecord | None], fs: Filesystem | None = None) -> WasteReport:
    """`fs`: the layers already replayed, when the caller has them."""
    fs = fs if fs is not None else replay(layers)
    entries = [
        _entry(path, group, files, nbytes, owners)
        for group, collapsed in _collapse(fs.losses, layers).items()
        for path, (files, nbytes) in collapsed.items()
    ]
    entries.sort(key=lambda e: (-e.bytes, e.path))
    compressed = [layer.compressed_size for layer in layers]
    return WasteReport(
        stored_bytes=sum(layer.stored_bytes for layer in layers),
        wasted_bytes=sum(loss.bytes for loss in fs.losses),
        entries=entries,
        compressed_size=sum(c for c in compressed if c is not None) if layers and None not in compressed else None,
        layer_steps=list(owners),
    )


def visible_bytes(fs: Filesystem, paths: Iterable[str]) -> dict[str, int]:
    """Bytes of the regular files the final filesystem shows under each path (what the image carries there)."""
    tops = {p: p.strip("/") + "/" for p in paths}
    sizes = dict.fromkeys(tops, 0)
    for path, index in fs.visible.items():
        node = fs.node(path, index)
        if node.type == "file":
            for name, top in tops.items():
                if path.startswith(top):
                    sizes[name] += node.size
    return sizes


_Group = tuple[Kind, int, int, bool]  # kind, added layer, removed layer, metadata changed


def _collapse(losses: list[_Loss], layers: list[Layer]) -> dict[_Group, dict[str, tuple[int, int]]]:
    """Losses per group, merged into the directories whose every byte (from the adding layer) went that way.

    A `chown -R` of a copied tree or the removal of a cache directory is one
    entry naming the directory, not one per file. A directory is only named
    when it merges more than one file, and never the root.
    """
    groups: dict[_Group, list[_Loss]] = defaultdict(list)
    for loss in losses:
        groups[(loss.kind, loss.added, loss.removed, loss.meta_changed)].append(loss)
    layer_bytes: dict[int, dict[str, int]] = {}
    ancestors = _Ancestors()
    out: dict[_Group, dict[str, tuple[int, int]]] = {}
    for group, members in groups.items():
        added = group[1]
        if added not in layer_bytes:
            layer_bytes[added] = _bytes_under(layers[added], ancestors)
        available = layer_bytes[added]
        count: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        for loss in members:
            for directory in ancestors(loss.path):
                count[directory] += 1
                total[directory] += loss.bytes
        chosen: dict[str, tuple[int, int]] = {}
        for loss in members:
            best, files, nbytes = loss.path, 1, loss.bytes
            for directory in ancestors(loss.path):
                if total[directory] != available.get(directory):
                    break
                if count[directory] > files:
                    best, files, nbytes = directory, count[directory], total[directory]
            chosen[best] = (files, nbytes)
        out[group] = {p: v for p, v in chosen.items() if not any(a in chosen for a in ancestors(p))}
    return out


class _Ancestors:
    """The directories above a path, nearest first, the root excluded; each name is made once. A path of
    2,000 directories has 4 MB of names above it: made anew for each of 2,000 files in them, with their
    hashes, waste accounting of an 11 MB archive ran for 37 s."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}  # a directory's parent, the same string object each time

    def __call__(self, path: str) -> Iterator[str]:
        directory = posixpath.dirname(path)
        while directory:
            parent = self._parent.get(directory)
            if parent is None:
                parent = self._parent[directory] = posixpath.dirname(directory)
            yield directory
            directory = parent


def _bytes_under(layer: Layer, ancestors: _Ancestors) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for path, node in layer.nodes.items():
        if node.type == "file" and node.size:
            for directory in ancestors(path):
                totals[directory] += node.size
    return totals


def _entry(path: str, group: _Group, files: int, nbytes: int, owners: list[StepRecord | None]) -> WasteEntry:
    kind, added_layer, removed_layer, meta_changed = group
    added = owners[added_layer] if added_layer < len(owners) else None
    removed = owners[removed_layer] if removed_layer < len(owners) else None
    return WasteEntry("/" + path, nbytes, kind, files, added, removed, suggestion(kind, added, removed, meta_changed))


def suggestion(kind: Kind, added: StepRecord | None, removed: StepRecord | None, meta_changed: bool) -> str:
    """What to change, naming both lines: the bytes stay in the adding layer whatever a later step does."""
    a = f"line {added.line}" if added and added.line else "an unknown step"
    r = f"line {removed.line}" if removed and removed.line else "an unknown step"
    adder = added.keyword if added else ""
    where = f"added at {a}, {'removed' if kind == 'deleted' else 'rewritten'} at {r}"
    if added is not None and added is removed:
        return f"{where}: both inside the base image; a slimmer base avoids it"
    if adder == "FROM":  # package databases and the like: a later install must rewrite them
        verb = "deleting" if kind == "deleted" else "rewriting"
        return f"{where}: {verb} a base-image file keeps the base image's copy; if it matters, use a base image without it"
    if kind == "copy-up":
        if not meta_changed:
            return f"{where} with the same content: write it once"
        if adder in ("COPY", "ADD"):
            return f"{where} only to change owner or mode: use `{adder} --chown=... --chmod=...` at {a} instead"
        if adder == "RUN":
            return f"{where} only to change owner or mode: do the chown/chmod in the RUN at {a}"
        return f"{where} only to change owner or mode, which copies the whole file into a new layer: avoid it"
    if kind == "deleted":
        if adder in ("COPY", "ADD"):
            return f"{where}: do not copy it (narrow the {adder} at {a} or list it in .dockerignore)"
        if adder == "RUN":
            return f"{where}: move the removal into {a}"
        return f"{where}: remove it in the step that adds it"
    return f"{where}: write the final version once, at {a} or {r}"


def measure(saved: SavedImage, row_owners: list[StepRecord | None], fs: Filesystem | None = None) -> WasteReport:
    """Account the waste of an image's layers; `row_owners` as `layers.row_owners` gives them."""
    return account(saved.layers, layer_owners(saved.config, row_owners, len(saved.layers)), fs)
