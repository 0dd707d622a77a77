"""Layer summaries kept between runs, so a warm `dlint analyse` need not read the image again.

Reading an image's `docker save` stream (a SHA-256 of every file) is most of
a warm run: ~2.5 s for a 335 MB image, where the fully cached build itself
takes 0.1-0.4 s. What waste accounting and the cache-directory probes need
from a layer (`saved.Layer`: paths, sizes, digests, whiteouts) depends only
on the layer's bytes, which its diff_id (the SHA-256 of the uncompressed
layer tar) names, so each layer is stored under its diff_id; the image entry,
under the engine's id of the image, holds the config, the id the save stream
gave and what depends on how the engine stored the blobs (their compressed
sizes). A later run of an image whose entry and every layer are stored reads
nothing from the engine but the image's id.

The directory is `$DLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/dlint`, else
`~/.cache/dlint`; it and its two folders must be real directories owned by
the user (a planted symbolic link is never followed, for reading, writing or
eviction), else the run goes on without a cache. Entries are read as
untrusted input: each starts with the SHA-256 of the rest, and one that does
not check out or is not exactly what was written (wrong name inside, wrong
types, too large, not a regular file) is a miss, read again from the engine
and written anew. Writes go through a temporary file renamed into place, so
a concurrent run or Ctrl-C never leaves half an entry; when the disk refuses,
the run goes on without it. The least recently used entries are removed once
the folders pass MAX_BYTES. Bump FORMAT whenever what `saved.read_save` makes
of a layer changes (3: a layer whose first name starts like JSON is no longer
empty; 4: whiteouts kept once, a path over PATH_MAX refused): entries of another
format are never read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from dlint.analyse.saved import Layer, Node, SavedImage, read_engine_save, sha256_hex, shared
from dlint.parsing.numbers import non_negative_int
from dlint.parsing.source import SourceError, read_bytes

FORMAT = 4
SOURCE = "dlint's layer cache"
MAX_BYTES = 512 << 20  # both folders together; the least recently used entries go first
MAX_ENTRY = 256 << 20  # one entry
_TYPES = frozenset({"file", "link", "dir", "other"})
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json|\.tmp-.*")  # what eviction may remove: nothing else


def directory() -> Path:
    explicit = os.environ.get("DLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dlint"


def saved_image(image_id: str, read: Callable[[], SavedImage], root: Path | None = None) -> SavedImage:
    """The image `image_id` ("sha256:<hex>") from the cache (its `source` says so), else `read()` and stored."""
    root = root if root is not None else directory()
    checked: dict[str, bool] = {}  # diff_id -> whether its entry loaded
    found = _load(root, image_id, checked)
    if found is not None:
        return found
    saved = read()
    _store(root, image_id, saved, checked)
    return saved


def engine_image(api, image_id: str, source: str) -> SavedImage:
    """An image in the engine (`api`: the SDK's APIClient), through the cache, else its save stream."""
    return saved_image(image_id, lambda: read_engine_save(api, image_id, source))


# --- reading ------------------------------------------------------------------------------


def _load(root: Path, image_id: str, checked: dict[str, bool]) -> SavedImage | None:
    image = _entry(root, "images", image_id)
    if not isinstance(image, dict) or image.get("id") != image_id:
        return None
    config, saved_id, compressed = image.get("config"), image.get("saved_id"), image.get("compressed_sizes")
    diff_ids = _diff_ids(config)
    if (diff_ids is None or not (saved_id is None or isinstance(saved_id, str)) or not isinstance(compressed, list)
            or len(compressed) != len(diff_ids) or not all(c is None or non_negative_int(c) for c in compressed)):
        return None
    layers: dict[str, Layer] = {}  # a layer listed twice is read once
    for diff_id in diff_ids:
        if diff_id not in layers:
            layer = _layer(_entry(root, "layers", diff_id), diff_id)
            checked[diff_id] = layer is not None
            if layer is None:
                return None
            layers[diff_id] = layer
    ordered = [Layer(layers[d].nodes, layers[d].whiteouts, layers[d].opaque, c) for d, c in zip(diff_ids, compressed)]
    return SavedImage(config, ordered, saved_id, SOURCE)


def _diff_ids(config: object) -> list[str] | None:
    """The config's diff_ids when it is one waste accounting can use (its history a list of entries), else None."""
    if not isinstance(config, dict) or not isinstance(config.get("rootfs"), dict):
        return None
    diff_ids, history = config["rootfs"].get("diff_ids"), config.get("history", [])
    if not (isinstance(diff_ids, list) and all(sha256_hex(d) for d in diff_ids)
            and isinstance(history, list) and all(isinstance(h, dict) for h in history)):
        return None
    return diff_ids


def _entry(root: Path, kind: str, digest: str) -> object:
    """The checked JSON of an entry, or None (missing, damaged, planted)."""
    folder = _folder(root, kind, create=False)
    hexpart = sha256_hex(digest)
    if folder is None or hexpart is None:
        return None
    path = folder / f"{hexpart}.json"
    try:
        data = read_bytes(str(path), MAX_ENTRY, "layer cache entry", follow=False)
    except SourceError:
        return None
    check, _, body = data.partition(b"\n")
    if check.decode("ascii", "replace") != hashlib.sha256(body).hexdigest():
        return None
    try:
        os.utime(path, follow_symlinks=False)  # recently used: evicted last
    except OSError:
        pass  # a cache the user may read but not touch still serves
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _layer(data: object, diff_id: str) -> Layer | None:
    """A stored summary back into a Layer, or None when it is not exactly what `_layer_data` writes."""
    if not isinstance(data, dict) or data.get("diff_id") != diff_id:
        return None
    nodes, whiteouts, opaque = data.get("nodes"), data.get("whiteouts"), data.get("opaque")
    if not (isinstance(nodes, list) and _strings(whiteouts) and _strings(opaque)):
        return None
    layer = Layer(whiteouts=whiteouts, opaque=opaque)
    seen: dict[Node, Node] = {}
    for row in nodes:
        node = _node(row)
        if node is None:
            return None
        layer.nodes[row[0]] = shared(seen, node)  # as read from the layer itself
    return layer


def _node(row: object) -> Node | None:
    if not (isinstance(row, list) and len(row) == 8):
        return None
    path, kind, size, digest, mode, uid, gid, target = row
    if not (isinstance(path, str) and isinstance(kind, str) and kind in _TYPES
            and all(non_negative_int(n) for n in (size, mode, uid, gid))
            and (target is None or isinstance(target, str)) and (digest is None or isinstance(digest, str))):
        return None
    try:
        raw = bytes.fromhex(digest) if digest is not None else None
    except ValueError:
        return None
    return Node(kind, size, raw, (mode, uid, gid), target)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# --- writing ------------------------------------------------------------------------------


def _store(root: Path, image_id: str, saved: SavedImage, checked: dict[str, bool]) -> None:
    """The layers not stored yet or that did not load, then the image entry (which makes the image a hit);
    nothing where the disk refuses. A layer stored but not read this run (a base layer another image
    stored) is kept: if it is damaged, the next load of this image says so and it is written then."""
    diff_ids = _diff_ids(saved.config)
    if sha256_hex(image_id) is None or diff_ids is None or len(diff_ids) != len(saved.layers):
        return
    layers = _folder(root, "layers", create=False)
    try:
        for diff_id, layer in zip(diff_ids, saved.layers, strict=True):
            stored = checked.get(diff_id)
            if stored is None:
                stored = layers is not None and (layers / f"{sha256_hex(diff_id)}.json").is_file()
            if not stored:
                _write(root, "layers", diff_id, _layer_data(layer, diff_id))
        _write(root, "images", image_id, {
            "id": image_id, "saved_id": saved.id, "config": saved.config,
            "compressed_sizes": [layer.compressed_size for layer in saved.layers]})
        _evict(root)
    except (OSError, ValueError):
        return


def _layer_data(layer: Layer, diff_id: str) -> dict:
    nodes = [[path, n.type, n.size, n.digest.hex() if n.digest is not None else None, *n.meta, n.target]
             for path, n in layer.nodes.items()]
    return {"diff_id": diff_id, "whiteouts": layer.whiteouts, "opaque": layer.opaque, "nodes": nodes}


def _write(root: Path, kind: str, digest: str, data: dict) -> None:
    folder = _folder(root, kind, create=True)
    hexpart = sha256_hex(digest)
    if folder is None or hexpart is None:
        return
    body = json.dumps(data, separators=(",", ":")).encode()
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(temporary, folder / f"{hexpart}.json")
    except BaseException:
        os.unlink(temporary)
        raise


def _folder(root: Path, kind: str, create: bool) -> Path | None:
    """`root/<kind>-v<FORMAT>` when it and `root` are directories of this user's, not links; else None."""
    folder = root / f"{kind}-v{FORMAT}"
    for path in (root, folder):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.makedirs(path, mode=0o700, exist_ok=True)
                info = os.lstat(path)
            except OSError:
                return None
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return None
    return folder


def _evict(root: Path) -> None:
    """Remove the least recently used entries until the folders hold at most MAX_BYTES (only entry files)."""
    entries = []
    for kind in ("images", "layers"):
        folder = _folder(root, kind, create=False)
        if folder is None:
            continue
        with os.scandir(folder) as listing:
            for entry in listing:
                if _ENTRY_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    entries.append((info.st_mtime_ns, info.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_BYTES:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # another run evicted it first
        total -= size
