"""Waste accounting: bytes an image stores in its layers that its final filesystem never shows.

Every layer is read from the engine's `image.save()` stream, one member at a
time and never as a whole: the stream is the only place layer contents are
available, and an image can be larger than memory. The save archive's order
is not layer order (`manifest.json`, which gives the order, comes last), so
each layer is kept as a summary (paths, sizes, content digests, whiteouts)
until the end, then replayed in order the way overlayfs stacks them:

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

Two save layouts are read: the classic one (`<id>/layer.tar`, uncompressed;
Engine < 25) and the OCI image layout (`blobs/sha256/<digest>`, layers
uncompressed or gzip-compressed, with `<id>/layer.tar` links into the blobs on
Engine 25+). Gzip blobs give the compressed size for free. For uncompressed
layers it is not computed: gzip at level 6 (what a push uses) ran ~7 times
slower than reading the stream itself (20 s against 3 s for a 78 MB layer on a
2-core machine), so reports say "not available" there.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Literal

from dlint.analyse.steps import StepRecord

READ_SIZE = 1 << 20
MAX_DOCUMENT = 8 << 20  # a manifest, index or image config: anything larger is a layer
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
SKIPPED = frozenset({"repositories", "oci-layout"})

Kind = Literal["deleted", "overwritten", "copy-up"]


class WasteError(Exception):
    """The save stream cannot be read as an image: one line saying why."""


# --- reading the save stream -------------------------------------------------------------


class ChunkStream(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (what `api.get_image()` yields)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


@dataclass(frozen=True, slots=True)
class Node:
    """One path of a layer."""

    type: Literal["file", "link", "dir", "other"]  # link: a hard link to `target` in the same layer
    size: int = 0
    digest: bytes | None = None
    meta: tuple[int, int, int] = (0, 0, 0)  # mode, uid, gid
    target: str | None = None


@dataclass
class Layer:
    """What one layer holds, in the order the tar gave it."""

    nodes: dict[str, Node] = field(default_factory=dict)  # path without the leading "/"
    whiteouts: list[str] = field(default_factory=list)  # paths this layer removes
    opaque: list[str] = field(default_factory=list)  # directories whose lower content this layer hides
    compressed_size: int | None = None  # the blob's size, when the engine stored it gzip-compressed

    @property
    def stored_bytes(self) -> int:
        return sum(n.size for n in self.nodes.values() if n.type == "file")


@dataclass
class SavedImage:
    config: dict
    layers: list[Layer]  # oldest first


def read_save(stream: IO[bytes]) -> SavedImage:
    """Summaries of every layer in a `docker save` archive, in layer order."""
    layers: dict[str, Layer] = {}
    documents: dict[str, object] = {}
    links: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                name = _clean(member.name)
                if member.issym():
                    links[name] = _clean(posixpath.join(posixpath.dirname(name), member.linkname))
                elif member.islnk():
                    links[name] = _clean(member.linkname)
                elif member.isreg() and not _skipped(name):
                    blob = archive.extractfile(member)
                    assert blob is not None  # a regular member always has data
                    document = _document(blob, member.size)
                    if document is not None:
                        documents[name] = document
                    else:
                        layers[name] = read_layer(blob, member.size)
        while stream.read(READ_SIZE):  # the end-of-archive padding: let the engine finish its save
            pass
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise WasteError(f"the engine's save stream is not a readable image archive ({exc})") from None
    return _ordered(layers, documents, links)


def _clean(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


def _skipped(name: str) -> bool:
    base = posixpath.basename(name)
    return name in SKIPPED or base == "VERSION" or (base == "json" and "/" in name)  # legacy v1 metadata


def _document(blob: IO[bytes], size: int) -> object | None:
    """The parsed JSON of a manifest, index or config; None for anything else (a layer)."""
    if size > MAX_DOCUMENT or blob.peek(1)[:1] not in (b"{", b"["):  # type: ignore[attr-defined]
        return None
    try:
        return json.loads(blob.read())
    except ValueError:
        return None


def read_layer(blob: IO[bytes], size: int) -> Layer:
    """One layer tar, plain or gzip-compressed, read member by member with a digest per file."""
    layer = Layer()
    head = blob.peek(4)[:4]  # type: ignore[attr-defined]
    plain: IO[bytes] = blob
    if head.startswith(GZIP_MAGIC):
        layer.compressed_size = size
        plain = gzip.GzipFile(fileobj=blob, mode="rb")
    elif head == ZSTD_MAGIC:
        raise WasteError("a layer is zstd-compressed, which this Python cannot read (only plain and gzip layers)")
    first = plain.peek(512)[:512]  # type: ignore[attr-defined]
    if not first.strip(b"\0"):
        return layer  # an empty layer: only the end-of-archive blocks (tarfile calls that "empty file")
    with tarfile.open(fileobj=plain, mode="r|") as tar:
        for member in tar:
            path = _clean(member.name)
            if not path:
                continue
            parent, base = posixpath.split(path)
            meta = (member.mode, member.uid, member.gid)
            if base == OPAQUE:
                layer.opaque.append(parent)
            elif base.startswith(WHITEOUT + WHITEOUT):
                continue  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs), not content
            elif base.startswith(WHITEOUT):
                layer.whiteouts.append(posixpath.join(parent, base[len(WHITEOUT):]))
            elif member.isreg():
                data = tar.extractfile(member)
                assert data is not None
                layer.nodes[path] = Node("file", member.size, _digest(data), meta)
            elif member.islnk():
                layer.nodes[path] = Node("link", meta=meta, target=_clean(member.linkname))
            elif member.isdir():
                layer.nodes[path] = Node("dir", meta=meta)
            else:
                layer.nodes[path] = Node("other", meta=meta)
    return layer


def _digest(data: IO[bytes]) -> bytes:
    h = hashlib.sha256()  # ~0.2 s per 78 MB here: the copy-up check needs content identity
    while chunk := data.read(READ_SIZE):
        h.update(chunk)
    return h.digest()


def _ordered(layers: dict[str, Layer], documents: dict[str, object], links: dict[str, str]) -> SavedImage:
    """Put the layers in the order the manifest gives, following the layout's links into blobs/."""

    def resolve(name: str) -> str:
        for _ in range(8):
            if name not in links:
                break
            name = links[name]
        return name

    def blob(digest: str) -> str:
        return "blobs/" + digest.replace(":", "/", 1)

    manifest = documents.get("manifest.json")
    if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
        config_name, layer_names = manifest[0].get("Config"), manifest[0].get("Layers")
    else:  # an OCI layout without the docker-compatible manifest.json
        config_name, layer_names = _from_index(documents, blob)
    if not isinstance(config_name, str) or not isinstance(layer_names, list):
        raise WasteError("the engine's save stream has no manifest naming the image's layers")
    config = documents.get(resolve(_clean(config_name)))
    ordered: list[Layer] = []
    for name in layer_names:
        layer = layers.get(resolve(_clean(str(name))))
        if layer is None:
            raise WasteError(f"the save stream's manifest names a layer it does not contain ({name})")
        ordered.append(layer)
    return SavedImage(config if isinstance(config, dict) else {}, ordered)


def _from_index(documents: dict[str, object], blob) -> tuple[object, object]:
    document = documents.get("index.json")
    for _ in range(4):  # index -> (nested index ->) manifest
        manifests = document.get("manifests") if isinstance(document, dict) else None
        if not manifests or not isinstance(manifests[0], dict):
            return None, None
        document = documents.get(blob(str(manifests[0].get("digest"))))
        if isinstance(document, dict) and "layers" in document:
            config = document.get("config") or {}
            return blob(str(config.get("digest"))), [blob(str(d.get("digest"))) for d in document["layers"]]
    return None, None


# --- layers -> steps ----------------------------------------------------------------------


def layer_owners(config: dict, row_owners: list[StepRecord | None], layer_count: int) -> list[StepRecord | None]:
    """The step of each layer, oldest first.

    `row_owners` follows the engine's history rows (newest first), which are
    the config's `history` entries reversed; the entries that are not
    `empty_layer` are the layers, in order.
    """
    history = config.get("history") or []
    if len(history) != len(row_owners):
        return [None] * layer_count
    owners = [owner for entry, owner in zip(history, reversed(row_owners)) if not entry.get("empty_layer")]
    return (owners + [None] * layer_count)[:layer_count]


# --- replaying the layers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Inode:
    layer: int
    path: str  # where the data was written in that layer


@dataclass(frozen=True, slots=True)
class _Loss:
    path: str
    bytes: int
    kind: Kind
    added: int  # layer indexes
    removed: int
    meta_changed: bool = False


class _Filesystem:
    """The merged view of the layers replayed so far: each visible path and the data it reaches."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers
        self.visible: dict[str, tuple[Node, _Inode | None]] = {}
        self.children: dict[str, set[str]] = defaultdict(set)
        self.names: dict[_Inode, int] = defaultdict(int)  # visible names of each file's data
        self.losses: list[_Loss] = []

    def apply(self, index: int, layer: Layer) -> None:
        for directory in layer.opaque:
            for child in list(self.children.get(directory, ())):
                self._hide(child, index, "deleted")
        for path in layer.whiteouts:
            self._hide(path, index, "deleted")
        for path, node in sorted(layer.nodes.items()):  # parents before children
            inode = self._inode(index, layer, path, node)
            old = self.visible.get(path)
            lower_dir = old[0].type == "dir" if old is not None else bool(self.children.get(path))  # or implied
            if (old is not None or lower_dir) and not (lower_dir and node.type == "dir"):
                self._hide(path, index, "overwritten", replacement=(node, inode))
            self._show(path, node, inode)

    def _inode(self, index: int, layer: Layer, path: str, node: Node) -> _Inode | None:
        if node.type == "file":
            return _Inode(index, path)
        if node.type == "link" and node.target is not None and layer.nodes.get(node.target, Node("other")).type == "file":
            return _Inode(index, node.target)
        return None

    def _show(self, path: str, node: Node, inode: _Inode | None) -> None:
        self.visible[path] = (node, inode)
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
            entry = self.visible.pop(current, None)
            if entry is None or entry[1] is None:
                continue
            inode = entry[1]
            self.names[inode] -= 1
            size = self._node(inode).size
            if self.names[inode] or not size:
                continue
            lost_kind, changed = kind, False
            if replacement is not None and current == path and replacement[1] is not None:
                new = self._node(replacement[1])
                if new.digest == self._node(inode).digest:
                    lost_kind, changed = "copy-up", replacement[0].meta != entry[0].meta
            self.losses.append(_Loss(current, size, lost_kind, inode.layer, index, changed))

    def _node(self, inode: _Inode) -> Node:
        return self.layers[inode.layer].nodes[inode.path]


# --- the report ---------------------------------------------------------------------------


@dataclass(slots=True)
class WasteEntry:
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
        return sum(e.bytes for e in self.entries if e.added is step)


def account(layers: list[Layer], owners: list[StepRecord | None]) -> WasteReport:
    fs = _Filesystem(layers)
    for index, layer in enumerate(layers):
        fs.apply(index, layer)
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
    out: dict[_Group, dict[str, tuple[int, int]]] = {}
    for group, members in groups.items():
        added = group[1]
        if added not in layer_bytes:
            layer_bytes[added] = _bytes_under(layers[added])
        available = layer_bytes[added]
        count: dict[str, int] = defaultdict(int)
        total: dict[str, int] = defaultdict(int)
        for loss in members:
            for directory in _ancestors(loss.path):
                count[directory] += 1
                total[directory] += loss.bytes
        chosen: dict[str, tuple[int, int]] = {}
        for loss in members:
            best, files, nbytes = loss.path, 1, loss.bytes
            for directory in _ancestors(loss.path):
                if total[directory] != available.get(directory):
                    break
                if count[directory] > files:
                    best, files, nbytes = directory, count[directory], total[directory]
            chosen[best] = (files, nbytes)
        out[group] = {p: v for p, v in chosen.items() if not any(a in chosen for a in _ancestors(p))}
    return out


def _ancestors(path: str) -> Iterator[str]:
    """The directories above `path`, nearest first, the root excluded."""
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


def _bytes_under(layer: Layer) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for path, node in layer.nodes.items():
        if node.type == "file" and node.size:
            for directory in _ancestors(path):
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
    if kind == "copy-up":
        if not meta_changed:
            return f"{where} with the same content: write it once"
        if adder in ("COPY", "ADD"):
            return f"{where} only to change owner or mode: use `{adder} --chown=... --chmod=...` at {a} instead"
        if adder == "RUN":
            return f"{where} only to change owner or mode: do the chown/chmod in the RUN at {a}"
        return f"{where} only to change owner or mode, which copies the whole file into a new layer: avoid it"
    if adder == "FROM":
        return f"{where}: deleting base-image files in a later layer only hides them; use a slimmer base image"
    if kind == "deleted":
        if adder in ("COPY", "ADD"):
            return f"{where}: do not copy it (narrow the {adder} at {a} or list it in .dockerignore)"
        if adder == "RUN":
            return f"{where}: move the removal into {a}"
        return f"{where}: remove it in the step that adds it"
    return f"{where}: write the final version once, at {a} or {r}"


def measure(chunks: Iterable[bytes], row_owners: list[StepRecord | None]) -> WasteReport:
    """Read a save stream and account its waste; `row_owners` as `layers.row_owners` gives them."""
    saved = read_save(io.BufferedReader(ChunkStream(chunks), buffer_size=READ_SIZE))
    owners = layer_owners(saved.config, row_owners, len(saved.layers))
    return account(saved.layers, owners)
