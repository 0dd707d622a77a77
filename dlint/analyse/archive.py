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
"""

from __future__ import annotations

import gzip
import io
import os

from dlint.analyse.saved import (
    GZIP_MAGIC,
    READ_SIZE,
    TAR_ERRORS,
    Blobs,
    Layer,
    SavedImage,
    SaveError,
    Unreadable,
    order_layers,
    read_blob,
    read_save,
)
from dlint.parsing.source import SourceError, open_regular

DOCUMENTS = ("index.json", "manifest.json")


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
    blobs = Blobs(f"the OCI layout {root}")
    for name in DOCUMENTS:
        full = os.path.join(root, name)
        if os.path.islink(full):
            raise SaveError(f"{root}: {name} is a symbolic link, not followed: nothing outside the layout is read")
        if os.path.isfile(full):
            with open(full, "rb") as f:
                try:
                    document = read_blob(io.BufferedReader(f), os.fstat(f.fileno()).st_size)  # type: ignore[arg-type]
                except TAR_ERRORS:
                    continue  # neither JSON nor a tar: as good as absent
            if not isinstance(document, Layer):
                blobs.add(name, document)
    folder_of_blobs = os.path.join(root, "blobs")
    if os.path.islink(folder_of_blobs):
        raise SaveError(f"{root}: blobs/ is a symbolic link, not followed: nothing outside the layout is read")
    if not blobs.others or not os.path.isdir(folder_of_blobs):
        raise SaveError(f"{root} is not an OCI layout (no index.json and blobs/ directory)")
    for algorithm in sorted(os.listdir(folder_of_blobs)):
        folder = os.path.join(folder_of_blobs, algorithm)
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        for digest in sorted(os.listdir(folder)):
            full = os.path.join(folder, digest)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            name = f"blobs/{algorithm}/{digest}"
            with open(full, "rb") as f:
                blob = io.BufferedReader(f, buffer_size=READ_SIZE)
                size = os.fstat(f.fileno()).st_size
                try:
                    item = read_blob(blob, size)
                except TAR_ERRORS as exc:  # an error only if the image names it: the layout may hold others'
                    item = Unreadable(f"is not a readable tar ({exc})")
                blobs.add(name, item)
    return order_layers(blobs, {}, image)
