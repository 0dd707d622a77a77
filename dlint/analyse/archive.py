"""Opening an image archive or OCI layout directory from disk: no engine, no network.

A tar file (`docker save`, `podman save` in either format, buildx
`--output type=docker|oci`) is streamed through saved.read_save as the
engine's save stream is, so memory stays at one layer summary each whatever
the archive's size; a whole-archive gzip (`docker save | gzip`) is undone on
the fly. A directory (`skopeo copy ... oci:DIR`, `crane pull --format=oci`,
an unpacked buildx OCI tar) is read blob by blob from `blobs/`; symbolic
links there, and `blobs/` itself as one, are not followed, so nothing outside
the directory is read. A FIFO or a device given as the archive is refused
unopened (source.open_regular): reading one would block or never end.

In a directory only the blobs the image names are read, each as what its
manifest names it (LayoutBlobs): a layout may hold other platforms' blobs, or
any file, and a stat says a blob's size before it is read.
"""

from __future__ import annotations

import gzip
import io
import os

from dlint.analyse.saved import (
    GZIP_MAGIC,
    READ_SIZE,
    TAR_ERRORS,
    ZSTD,
    ZSTD_MAGIC,
    Blobs,
    Hashing,
    Layer,
    SavedImage,
    SaveError,
    Unreadable,
    order_layers,
    read_document,
    read_layer,
    read_save,
)
from dlint.output import shortened
from dlint.parsing.source import SourceError, open_regular

DOCUMENTS = ("index.json", "manifest.json")
# A blob whose size on disk is this many times the bytes it has stored is sparse past what any compression
# writes (deflate's limit is 1,032:1): its holes, read as zeros, would take hours for a few KB of disk.
SPARSE_RATIO = 1024
SPARSE_FLOOR = 1 << 20  # bytes: a blob under this is read whatever it stores


def read_archive(path: str, image: str | None = None) -> SavedImage:
    """The image in the archive or OCI directory at `path` (`image` picks one of several)."""
    try:
        if os.path.isdir(path):
            return _read_directory(path, image)
        with open_regular(path, "image archive", buffering=READ_SIZE) as stream:
            if stream.peek(2)[:2] == GZIP_MAGIC:  # type: ignore[attr-defined]
                stream = io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), buffer_size=READ_SIZE)  # type: ignore[arg-type]
            return read_save(stream, image, f"the archive {path}")
    except OSError as exc:
        raise SaveError(f"cannot read the archive {path}: {exc.strerror or exc}") from None
    except SourceError as exc:  # a FIFO or a device would block or never end
        raise SaveError(str(exc)) from None


def _read_directory(root: str, image: str | None) -> SavedImage:
    blobs = LayoutBlobs(root)
    for name in DOCUMENTS:
        full = os.path.join(root, name)
        if os.path.islink(full):
            raise SaveError(f"{root}: {name} is a symbolic link, not followed: nothing outside the layout is read")
        if os.path.isfile(full):
            with open_regular(full, "document", follow=False, buffering=READ_SIZE) as f:
                size = os.fstat(f.fileno()).st_size
                blobs.add(name, read_document(f, size), size)  # type: ignore[arg-type]
    blobs.folder()
    if not blobs.others or not os.path.isdir(os.path.join(root, "blobs")):
        raise SaveError(f"{root} is not an OCI layout (no index.json and blobs/ directory)")
    return order_layers(blobs, {}, image)


class LayoutBlobs(Blobs):
    """An OCI directory's blobs, each read when the manifest names it, as what it names it: a layer as a
    tar, a manifest or config as JSON. Read all up front by what they started like, a layout's every
    file was read, a JSON config that also passes for a tar header became a layer, and a sparse file of
    a few KB on disk (1 TB of holes) was hashed for hours."""

    def __init__(self, root: str) -> None:
        super().__init__(f"the OCI layout {root}")
        self.root = root

    def folder(self) -> None:
        """SaveError when blobs/ is a symbolic link: nothing outside the layout is read."""
        if os.path.islink(os.path.join(self.root, "blobs")):
            raise SaveError(f"{self.root}: blobs/ is a symbolic link, not followed: nothing outside the layout is read")

    def fetch(self, name: str, what: str, declared: int | None) -> None:
        """Read `blobs/<algorithm>/<digest>` once, after its size is checked (before it is read); other names
        are not in a layout."""
        parts = name.split("/")
        if name in self.layers or name in self.others or len(parts) != 3 or parts[0] != "blobs":
            super().fetch(name, what, declared)  # read already (by another descriptor, maybe of another size)
            return
        self.folder()
        folder = os.path.join(self.root, "blobs", parts[1])
        full = os.path.join(folder, parts[2])
        if os.path.islink(folder) or os.path.islink(full) or not os.path.isfile(full):
            return  # "names a layer it does not contain", as an absent one
        with open_regular(full, "blob", follow=False, buffering=READ_SIZE) as f:
            found = os.fstat(f.fileno())
            self.check_size(name, what, declared, found.st_size)
            blob = Hashing(f, found.st_size)  # type: ignore[arg-type]
            item = _sparse(found) or _read_as(blob, found.st_size, what)
            digest = blob.drain(item)
            if blob.count > found.st_size:
                raise SaveError(f"the {what} {shortened(name)} in {self.source} grew while dlint read it")
            self.add(name, item, found.st_size, digest)


def _sparse(found: os.stat_result) -> Unreadable | None:
    """Unreadable for a blob whose disk holds under 1/SPARSE_RATIO of its size: see SPARSE_RATIO."""
    stored = getattr(found, "st_blocks", None)
    if stored is None or found.st_size < SPARSE_FLOOR or found.st_size <= stored * 512 * SPARSE_RATIO:
        return None
    return Unreadable(f"is a sparse file ({found.st_size:,} bytes, {stored * 512:,} of them on disk): "
                      "no tool writes a blob so, and its holes would be read as zeros")


def _read_as(blob: Hashing, size: int, what: str) -> Layer | Unreadable:
    """The blob as what the manifest names it: a layer, or a document (a manifest, an index, a config)."""
    if what != "layer":
        return read_document(blob, size)  # type: ignore[return-value]
    if blob.peek(4)[:4] == ZSTD_MAGIC:
        return ZSTD
    try:
        return read_layer(blob, size)
    except TAR_ERRORS as exc:
        return Unreadable(f"is not a readable tar ({exc})")
