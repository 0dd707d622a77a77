"""Layer summaries kept between runs, so a warm `dlint analyse` need not read the image again.

Reading an image's `docker save` stream (a SHA-256 of every file) is most of
a warm run: ~2.5 s for a 335 MB image, where the fully cached build itself
takes 0.1-0.4 s. What waste accounting and the cache-directory probes need
from a layer (`saved.Layer`: paths, sizes, digests, whiteouts) depends only
on the layer's bytes, which its diff_id (the SHA-256 of the uncompressed
layer tar) names; the image config is named by the image id, the SHA-256 of
the config itself. So both are stored under those names and a later run of
an image whose config and every layer are stored reads nothing from the
engine but the config's id.

The directory is `$DLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/dlint`, else
`~/.cache/dlint`. Its files are read as untrusted input: a file that is not
exactly what was written (wrong name inside, wrong types, too large, not
UTF-8 JSON) is a miss, read again from the engine and written anew. Writes
go through a temporary file renamed into place, so a concurrent run or
Ctrl-C never leaves half a file; when the directory cannot be written the run
goes on without it. The oldest entries are removed once the directory
passes MAX_BYTES.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from dlint.analyse.saved import Layer, Node, SavedImage

FORMAT = 1
MAX_BYTES = 512 << 20  # the whole directory; the oldest entries go first
MAX_ENTRY = 256 << 20  # one stored layer summary or config
_TYPES = frozenset({"file", "link", "dir", "other"})


def directory() -> Path:
    explicit = os.environ.get("DLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dlint"


SOURCE = "dlint's layer cache"


def saved_image(image_id: str, read: Callable[[], SavedImage], root: Path | None = None) -> SavedImage:
    """The image `image_id` ("sha256:<hex>") from the cache (its `source` says so), else `read()` and stored."""
    root = root if root is not None else directory()
    found = _load(root, image_id)
    if found is not None:
        return found
    saved = read()
    _store(root, image_id, saved)
    return saved


def _hex(digest: object) -> str | None:
    """The hex of "sha256:<64 hex>", None for anything else (a name taken from a file never becomes a path)."""
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        return None
    hexpart = digest[7:]
    return hexpart if len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart) else None


def _path(root: Path, kind: str, digest: object) -> Path | None:
    hexpart = _hex(digest)
    return root / f"{kind}-v{FORMAT}" / f"{hexpart}.json" if hexpart else None


def _load(root: Path, image_id: str) -> SavedImage | None:
    config_path = _path(root, "configs", image_id)
    config = _read_json(config_path) if config_path else None
    if not isinstance(config, dict) or config.get("id") != image_id or not isinstance(config.get("config"), dict):
        return None
    rootfs = config["config"].get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list):
        return None
    layers: list[Layer] = []
    for diff_id in diff_ids:
        path = _path(root, "layers", diff_id)
        layer = _layer(_read_json(path), diff_id) if path else None
        if layer is None:
            return None
        layers.append(layer)
    return SavedImage(config["config"], layers, image_id, SOURCE)


def _read_json(path: Path) -> object:
    """The JSON in a regular file of at most MAX_ENTRY bytes (never a FIFO or device: opened non-blocking)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY:
                return None
            data = json.loads(f.read(MAX_ENTRY + 1).decode())
        os.utime(path)  # recently used: evicted last
        return data
    except (OSError, ValueError, RecursionError):
        return None


def _layer(data: object, diff_id: str) -> Layer | None:
    """A stored summary back into a Layer, or None when it is not exactly what `_layer_data` writes."""
    if not isinstance(data, dict) or data.get("diff_id") != diff_id:
        return None
    nodes, whiteouts, opaque = data.get("nodes"), data.get("whiteouts"), data.get("opaque")
    compressed = data.get("compressed_size")
    if not (isinstance(nodes, list) and _strings(whiteouts) and _strings(opaque)
            and (compressed is None or _count(compressed))):
        return None
    layer = Layer(whiteouts=whiteouts, opaque=opaque, compressed_size=compressed)
    for row in nodes:
        node = _node(row)
        if node is None:
            return None
        layer.nodes[row[0]] = node
    return layer


def _node(row: object) -> Node | None:
    if not (isinstance(row, list) and len(row) == 8):
        return None
    path, kind, size, digest, mode, uid, gid, target = row
    if not (isinstance(path, str) and kind in _TYPES and all(_count(n) for n in (size, mode, uid, gid))
            and (target is None or isinstance(target, str)) and (digest is None or isinstance(digest, str))):
        return None
    try:
        raw = bytes.fromhex(digest) if digest is not None else None
    except ValueError:
        return None
    return Node(kind, size, raw, (mode, uid, gid), target)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def _layer_data(layer: Layer, diff_id: str) -> dict:
    nodes = [[path, n.type, n.size, n.digest.hex() if n.digest is not None else None, *n.meta, n.target]
             for path, n in layer.nodes.items()]
    return {"diff_id": diff_id, "compressed_size": layer.compressed_size, "whiteouts": layer.whiteouts,
            "opaque": layer.opaque, "nodes": nodes}


def _store(root: Path, image_id: str, saved: SavedImage) -> None:
    """Every layer, then the config (which makes the image a hit); silently nothing where the disk refuses."""
    rootfs = saved.config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    config_path = _path(root, "configs", image_id)
    if (config_path is None or not isinstance(diff_ids, list) or len(diff_ids) != len(saved.layers)
            or not all(map(_hex, diff_ids))):
        return
    try:
        for diff_id, layer in zip(diff_ids, saved.layers, strict=True):
            path = _path(root, "layers", diff_id)
            assert path is not None  # checked above
            _write(path, _layer_data(layer, diff_id))  # also over an entry that did not load
        _write(config_path, {"id": image_id, "config": saved.config})
        _evict(root)
    except (OSError, ValueError):
        return


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _evict(root: Path) -> None:
    """Remove the least recently used entries until the directory holds at most MAX_BYTES."""
    entries = []
    for kind in ("configs", "layers"):
        folder = root / f"{kind}-v{FORMAT}"
        if folder.is_dir():
            for entry in os.scandir(folder):
                if entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    entries.append((stat.st_mtime_ns, stat.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= MAX_BYTES:
            break
        os.unlink(path)
        total -= size
