"""Reading `docker save` streams into per-layer summaries, in layer order, without holding a layer.

The stream is the only place layer contents are available, and an image can
be larger than memory, so every member is read once as it arrives. The
archive's order is not layer order (`manifest.json`, which gives the order,
comes last), so each layer is kept as a summary (paths, sizes, content
digests, whiteouts) and ordered at the end.

Two layouts are read: the classic one (`<id>/layer.tar`, uncompressed;
Engine < 25) and the OCI image layout (`blobs/sha256/<digest>`, layers
uncompressed or gzip-compressed, with `<id>/layer.tar` links into the blobs on
Engine 25+, and an `index.json` when there is no docker `manifest.json`).
A new layout only touches this module.

Each blob is read as what the manifest names it (Blobs.document, Blobs.layer),
not as what its first bytes look like, and a descriptor's `size` must be the
blob's. A blob named by its digest (`blobs/sha256/<hex>`, a docker-archive
config's `<hex>.json`) must hash to it, and each layer's tar, uncompressed, to
the config's `rootfs.diff_ids` entry: every blob is hashed as it streams past
(Hashing), so a tampered archive is refused with no second read.

Gzip blobs give the compressed size for free. For uncompressed layers it is
not computed: gzip at level 6 (what a push uses) took 4.0 s for the 78 MB
Debian base layer, against 1.7 s to stream and account the whole image (1.2 s
of it the engine's own save), on a 2-core machine; level 1 still took 1.4 s and
overstates the size by 9%. Reports say "not available" there.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import posixpath
import tarfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Literal

from dlint.output import shortened
from dlint.parsing.numbers import non_negative_int

READ_SIZE = 1 << 20
TAR_BUFFER = 64 << 10  # tarfile's own buffer over a layer: see read_layer
MAX_DOCUMENT = 8 << 20  # a manifest, index or image config: anything larger is a layer
MAX_DOCUMENTS = 256 << 20  # an archive's JSON documents together (SBOMs, attestations), unparsed until the image names one
MAX_LAYERS = 256  # layers one image stacks: engines refuse past ~128 (overlay2), and each costs a walk of its files
MAX_PADDING = 8 << 20  # what may follow a tar's end-of-archive blocks (tar pads to a record: 10 KiB)
# What a malformed tar header raises from tarfile, besides its own errors: a PAX length too large
# for an index (OverflowError), a broken GNU sparse map (ValueError).
TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, ValueError, OverflowError)
MAX_TAR_HEADER = 1 << 20  # a GNU long name or PAX header: a path is at most 4 KiB, and tarfile reads one whole
MAX_PATH = 4096  # characters of a path in a layer: PATH_MAX
# Characters of the directories an image's paths sit in without its layers listing them: the replay keeps
# each directory's name, so 500 KB of `NNNN/d/d/.../f` paths (2,040 directories each, none listed) took
# 500 MB. An engine lists the directories above what it writes; this is four times a deepest path's.
MAX_IMPLIED = 16 << 20
NAMES_SHOWN = 10  # image names an error lists
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
SKIPPED = frozenset({"repositories", "oci-layout"})


class SaveError(Exception):
    """The save stream cannot be read as an image: one line saying why."""


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


class Hashing:
    """A reader that feeds the SHA-256 of a blob with the bytes read through it, as they pass: a blob's
    digest costs no second read, and memory stays at the chunk read. `peek` reads ahead without counting:
    the bytes count when `read` takes them, so the digest is of the whole blob once `drain` has run."""

    __slots__ = ("_file", "_hash", "_limit", "count")

    def __init__(self, file: IO[bytes], limit: int | None = None) -> None:
        """`limit`: at most one byte past it is ever read (a file on disk that grows while it is read shows so
        in `count`, however its reader reads it)."""
        self._file = file
        self._hash = hashlib.sha256()
        self._limit = limit
        self.count = 0  # bytes read through it

    def read(self, size: int = -1) -> bytes:
        if self._limit is not None:
            allowed = self._limit + 1 - self.count
            size = allowed if size < 0 else min(size, allowed)
            if size <= 0:
                return b""
        data = self._file.read(size)
        self._hash.update(data)
        self.count += len(data)
        return data

    def peek(self, size: int = 0) -> bytes:
        return self._file.peek(size)  # type: ignore[attr-defined]

    def drain(self, item: object = None) -> str | None:
        """The hex digest of the whole blob, reading what its reader left (a tar's end-of-archive padding);
        None, reading nothing more, for an Unreadable one: it is an error whatever its digest."""
        if isinstance(item, Unreadable):
            return None
        while self.read(READ_SIZE):
            pass
        return self._hash.hexdigest()


class BoundedTarInfo(tarfile.TarInfo):
    """tarfile's header reader with a cap on the extended headers it reads whole into memory: a GNU
    long name or a PAX header of 2 GB in a 1 MB gzip took 6 GB of memory. Past the cap it is a
    broken archive (a HeaderError, one of TAR_ERRORS)."""

    EXTENDED = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                          tarfile.SOLARIS_XHDTYPE})

    def _proc_member(self, tarfile_):  # the one step every header goes through, extended ones included
        if self.type in self.EXTENDED and self.size > MAX_TAR_HEADER:
            raise tarfile.HeaderError(f"a tar header of {self.size} bytes, over the {MAX_TAR_HEADER >> 20} MiB dlint reads")
        return super()._proc_member(tarfile_)


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
    implied: int = 0  # characters of the directories its paths sit in that it does not list: see MAX_IMPLIED
    diff_id: str | None = field(default=None, compare=False)  # sha256 hex of its tar, uncompressed, as read

    @property
    def stored_bytes(self) -> int:
        return sum(n.size for n in self.nodes.values() if n.type == "file")

    @property
    def size(self) -> int:
        """The layer's size as the engine counts it (`docker history`): regular files plus symbolic link targets."""
        return sum(n.size for n in self.nodes.values() if n.type in ("file", "other"))


@dataclass
class SavedImage:
    """An image as its layers' contents and config: what waste accounting and the probes read."""

    config: dict
    layers: list[Layer]  # oldest first
    id: str | None = None  # "sha256:<config digest>", where the layout names the config by it
    source: str = ""  # where the layers were read, as reports say it


def read_save(stream: IO[bytes], image: str | None = None, source: str = "the engine's save stream") -> SavedImage:
    """Summaries of every layer in a `docker save` archive, in layer order.

    `image` picks one image of a multi-image archive by name (a RepoTag or an
    OCI ref name); without it an archive holding several images is an error
    naming them, rather than a guess. `source` names the stream in errors.
    """
    blobs = Blobs(source)
    links: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=READ_SIZE, tarinfo=BoundedTarInfo) as archive:
            for member in archive:
                archive.members.clear()  # tarfile keeps every header it read: 500,000 links took 375 MB
                name = _clean(member.name)
                if member.issym():
                    links[name] = _clean(posixpath.join(posixpath.dirname(name), member.linkname))
                elif member.islnk():
                    links[name] = _clean(member.linkname)
                elif member.sparse is not None:  # its holes read as zeros: 20 KB could hold a layer of 1 PB
                    blobs.add(name, Unreadable("is a sparse file, which no engine saves"))
                elif member.isreg() and not _skipped(name):
                    data = archive.extractfile(member)
                    assert data is not None  # a regular member always has data
                    blob = Hashing(data)
                    try:
                        item = read_blob(blob, member.size)
                        digest = blob.drain(item)
                    except TAR_ERRORS as exc:
                        if _truncated(exc):
                            raise  # the archive itself ends inside this member
                        item, digest = Unreadable(f"is not a readable tar ({exc})"), None  # an error if named
                    blobs.add(name, item, member.size, digest)
        for _ in range(MAX_PADDING // READ_SIZE + 1):  # the end-of-archive padding: let the engine finish its save
            if not stream.read(READ_SIZE):
                break
        else:  # /dev/zero, or a tar with an archive's worth of data after its end
            raise SaveError(f"{source} goes on past the end of its tar archive (over {MAX_PADDING >> 20} MiB more)")
    except (*TAR_ERRORS, OSError) as exc:
        if _truncated(exc):
            raise SaveError(f"{source} is truncated: it ends inside a member") from None
        raise SaveError(f"{source} is not a readable image archive ({exc})") from None
    return order_layers(blobs, links, image)


def _truncated(exc: Exception) -> bool:
    """tarfile's words for a stream that ends inside a member."""
    return "unexpected end of data" in str(exc)


def _clean(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


def _skipped(name: str) -> bool:
    base = posixpath.basename(name)
    return name in SKIPPED or base == "VERSION" or (base == "json" and "/" in name)  # legacy v1 metadata


@dataclass(frozen=True)
class Unreadable:
    """A blob dlint cannot read (a document over MAX_DOCUMENT, a zstd layer, in a layout not a tar):
    named, with why, only if the image turns out to need it."""

    why: str


@dataclass(frozen=True)
class Document:
    """A blob that is JSON text (a manifest, index or config), kept unparsed: an archive may hold many
    the image does not name (8 MiB of `[[],[],...]` parses into 200 MB), so only those it names are parsed."""

    data: bytes


class Blobs:
    """An archive's blobs by name, as read_blob made them; the JSON documents held are capped in all.

    The image's manifest says what each blob it names is: `document` reads one as JSON, `layer` as a tar,
    whatever the blob might also pass for. A descriptor's `size`, where it gives one, must be the blob's."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.layers: dict[str, Layer] = {}
        self.others: dict[str, Document | Unreadable] = {}
        self.sizes: dict[str, int] = {}  # each blob's size in bytes
        self.digests: dict[str, str] = {}  # each blob's SHA-256 (hex), where it was read
        self._held = 0  # bytes of Document text
        self._implied = 0  # Layer.implied of every layer

    def add(self, name: str, item: Layer | Document | Unreadable, size: int | None = None,
            digest: str | None = None) -> None:
        if size is not None:
            self.sizes[name] = size
        if digest is not None:
            self.digests[name] = digest
        if isinstance(item, Layer):
            self.layers[name] = item
            self._implied += item.implied
            if self._implied > MAX_IMPLIED:
                raise SaveError(f"the layers of {self.source} sit in over {MAX_IMPLIED >> 20} MiB of directory names "
                                "they do not list: not an image an engine writes")
            return
        self.others[name] = item
        if isinstance(item, Document):
            self._held += len(item.data)
            if self._held > MAX_DOCUMENTS:
                raise SaveError(f"{self.source} holds over {MAX_DOCUMENTS >> 20} MiB of JSON documents: "
                                "not an image archive dlint reads")

    def fetch(self, name: str, what: str, declared: int | None) -> None:
        """SaveError when the descriptor's size is not blob `name`'s. Where blobs are read on demand
        (LayoutBlobs), this reads one as `what` ("layer", or the document's kind), after checking its size;
        a stream has read them all."""
        self.check_size(name, what, declared, self.sizes.get(name))

    def check_size(self, name: str, what: str, declared: int | None, actual: int | None) -> None:
        """SaveError when the descriptor's size is not the blob's."""
        if declared is not None and actual is not None and declared != actual:
            raise SaveError(f"the {what} {shortened(name)} in {self.source} is {actual:,} bytes, but its descriptor "
                            f"says {declared:,}")

    def check_digest(self, name: str, what: str, claimed: str | None = None) -> None:
        """SaveError when a blob named by its digest (`blobs/sha256/<hex>`, a docker-archive config's
        `<hex>.json`) does not hash to it: a tampered or corrupted archive. `claimed`: the name the manifest
        gives, when links led from it to `name`: that name's digest is the one the bytes must have (a link
        at `blobs/sha256/<hex>` to a file named otherwise must not pass unchecked)."""
        expected = (addressed(claimed) if claimed is not None else None) or addressed(name)
        found = self.digests.get(name)
        if expected is not None and found is not None and found != expected:
            raise SaveError(f"the {what} {shortened(name)} in {self.source} does not match its digest: its bytes "
                            f"hash to sha256:{found}")

    def document(self, name: str, what: str, size: int | None = None, claimed: str | None = None) -> object:
        """The parsed JSON of blob `name` (None when there is none); SaveError, naming it, if it is unreadable.
        `claimed`: see check_digest."""
        self.fetch(name, what, size)
        self.check_digest(name, what, claimed)
        found = self.others.get(name)
        if found is None and name in self.layers:  # a stream read it as a tar: too large to be JSON, or no JSON
            found = Unreadable(f"is a tar of {self.sizes.get(name, 0):,} bytes, not a JSON document")
        if isinstance(found, Unreadable):
            raise SaveError(f"the {what} {shortened(str(name))} in {self.source} {found.why}")
        if found is None:
            return None
        try:
            return json.loads(found.data)
        except ValueError:
            why = "is not valid JSON"
        except RecursionError:  # nested deeper than the interpreter's stack
            why = "is nested deeper than dlint reads"
        raise SaveError(f"the {what} {shortened(str(name))} in {self.source} {why}")

    def layer(self, name: str, shown: str, size: int | None = None) -> Layer:
        """Blob `name` as a layer (`shown`: as the manifest names it); SaveError, naming it, when it is none.

        A blob kept as a Document because it starts like JSON is read as a tar here: a crafted config can
        pass for a tar header too, and a small layer's first file can be named `{...`."""
        self.fetch(name, "layer", size)
        self.check_digest(name, "layer", _clean(shown))
        found = self.layers.get(name)
        if found is not None:
            return found
        item = self.others.get(name)
        if isinstance(item, Document):
            try:
                found = read_layer(io.BufferedReader(io.BytesIO(item.data)), len(item.data))  # type: ignore[arg-type]
            except TAR_ERRORS as exc:
                why = f"is not a readable tar ({exc})"
                raise SaveError(f"the layer {shortened(shown)} in {self.source} {why}") from None
            self.add(name, found)
            return found
        if isinstance(item, Unreadable):
            raise SaveError(f"the layer {shortened(shown)} in {self.source} {item.why}")
        raise SaveError(f"the manifest of {self.source} names a layer it does not contain ({shortened(shown)})")


def read_blob(blob: IO[bytes], size: int) -> Layer | Document | Unreadable:
    """A blob's Layer, its JSON text (a manifest, index or config) as a Document, or Unreadable, for a
    stream, which gives blobs before the manifest that says what they are.

    A blob that starts like JSON and is small enough to be a document is kept as one, whatever else it
    passes for: Blobs.layer reads it as a tar if the manifest names it a layer. A larger one is a layer
    whose first file is named `{...` if it starts with a valid tar header. A zstd blob is Unreadable (an
    error only if the image names it: an OCI layout may hold other platforms' layers). Anything else
    that is not a tar raises from read_layer."""
    head = blob.peek(512)[:512]  # type: ignore[attr-defined]
    if head.lstrip(b" \t\r\n")[:1] in (b"{", b"[") and (size <= MAX_DOCUMENT or not _tar_header(head)):
        return read_document(blob, size)
    if head[:4] == ZSTD_MAGIC:
        return ZSTD
    return read_layer(blob, size)


ZSTD = Unreadable("is zstd-compressed, which this Python cannot read (only plain and gzip layers)")


def read_document(blob: IO[bytes], size: int) -> Document | Unreadable:
    """A manifest, index or config's text, unparsed; Unreadable past MAX_DOCUMENT, unread."""
    if size > MAX_DOCUMENT:
        return Unreadable(f"is {size / (1 << 20):.1f} MiB, over the {MAX_DOCUMENT >> 20} MiB dlint reads of a "
                          "manifest or config")
    return Document(blob.read(size))


def _tar_header(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:  # a bad checksum, or under a block: not a tar
        return False
    return True


def read_layer(blob: IO[bytes], size: int) -> Layer:
    """One layer tar, plain or gzip-compressed, read member by member with a digest per file.

    A gzip layer is read in its expanded bytes, with no cap on them: deflate itself expands at most
    1,032:1, so the time stays linear in the input (1 MB of gzip of zeros is 1 GiB of tar, 4.5 s here),
    memory stays at one buffer, and a cap or a ratio limit would refuse real layers (tens of GB, or a
    preallocated file of zeros). Holes of a sparse member are not read at all (_content_digest)."""
    layer = Layer()
    raw = blob if isinstance(blob, Hashing) else Hashing(blob)
    plain = raw  # the tar: its digest is the layer's diff_id
    if raw.peek(4)[:4].startswith(GZIP_MAGIC):
        layer.compressed_size = size
        plain = Hashing(gzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[arg-type]
    if plain.peek(512)[:512].strip(b"\0"):  # else an empty layer: only the end-of-archive blocks
        _read_members(plain, layer)
    try:
        layer.diff_id = plain.drain()
    except (OSError, EOFError, zlib.error) as exc:  # what follows the tar in its gzip stream is broken
        raise tarfile.ReadError(f"its gzip stream is broken after the tar: {exc}") from None
    raw.drain()
    return layer


def _read_members(plain: Hashing, layer: Layer) -> None:
    """The members of a layer's tar into `layer`: see read_layer."""
    metas: dict[tuple[int, int, int], tuple[int, int, int]] = {}  # one tuple per distinct owner and mode
    seen: dict[Node, Node] = {}  # see shared
    whiteouts: dict[str, None] = {}  # ordered sets: a layer that repeats one a million times keeps it once
    opaque: dict[str, None] = {}
    directories: set[str] = set()  # listed or implied: see MAX_IMPLIED
    # Not READ_SIZE: the stream reader copies what is left of its buffer on every header it reads, so
    # 1 MiB made a layer of small files 1.5x slower; 64 KiB also reads big files 1.6x faster than it.
    with tarfile.open(fileobj=plain, mode="r|", bufsize=TAR_BUFFER, tarinfo=BoundedTarInfo) as tar:
        for member in tar:
            tar.members.clear()  # tarfile keeps every header it read (~600 B each): a summary is all that stays
            path = _clean(member.name)
            if not path:
                continue
            parent, base = posixpath.split(path)
            named = len(path) - (len(WHITEOUT) if base.startswith(WHITEOUT) else 0)  # a whiteout names a path without it
            if named > MAX_PATH:  # waste accounting walks a path's parents: a deeper one costs its square
                raise SaveError(f"a layer holds a path of {named} characters, over the {MAX_PATH} of a Linux path")
            if not base.startswith(WHITEOUT):  # a whiteout adds no path to the replay
                layer.implied += _imply(parent, directories)
                if layer.implied > MAX_IMPLIED:
                    raise SaveError(f"a layer's paths sit in over {MAX_IMPLIED >> 20} MiB of directory names it does "
                                    "not list: not a layer an engine writes")
            meta = (member.mode, member.uid, member.gid)
            meta = metas.setdefault(meta, meta)
            if base == OPAQUE:
                opaque[parent] = None
            elif base.startswith(WHITEOUT + WHITEOUT):
                continue  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs), not content
            elif base.startswith(WHITEOUT):
                whiteouts[posixpath.join(parent, base[len(WHITEOUT):])] = None
            elif member.isreg():
                node = Node("file", member.size, _content_digest(tar, member), meta)
                layer.nodes[path] = shared(seen, node)
            elif member.islnk():
                layer.nodes[path] = Node("link", meta=meta, target=_clean(member.linkname))
            elif member.isdir():
                layer.nodes[path] = shared(seen, Node("dir", meta=meta))
                directories.add(path)
            else:  # a symbolic link's size is its target's length, as lstat gives it; devices have none
                length = len(member.linkname) if member.issym() else 0
                layer.nodes[path] = shared(seen, Node("other", length, meta=meta))
    layer.whiteouts, layer.opaque = list(whiteouts), list(opaque)


def shared(seen: dict[Node, Node], node: Node) -> Node:
    """One object for equal nodes (directories, empty files, symbolic links): a Node and its digest are ~140
    bytes, and a layer of 200,000 empty files held one each. Files with content are rarely equal: not looked up."""
    return node if node.type == "file" and node.size else seen.setdefault(node, node)


def _imply(parent: str, directories: set[str]) -> int:
    """Characters of the directories from `parent` up that `directories` lacks, which it then holds."""
    added = 0
    while parent and parent not in directories:
        directories.add(parent)
        added += len(parent)
        parent = posixpath.dirname(parent)
    return added


def _content_digest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """The digest of a file's content; of a sparse file's, the data stored and where it goes, not the
    holes between: read whole, a 20 KB archive holding a file of 1 PB of holes read zeros for days."""
    h = hashlib.sha256()  # ~0.2 s per 78 MB here: the copy-up check needs content identity
    if member.sparse is not None:
        h.update(repr(member.sparse).encode())
        member = copy.copy(member)
        member.size, member.sparse = sum(n for _, n in member.sparse), None
    data = tar.extractfile(member)
    assert data is not None  # a regular member always has data
    while chunk := data.read(READ_SIZE):
        h.update(chunk)
    return h.digest()


def order_layers(blobs: Blobs, links: dict[str, str], image: str | None = None) -> SavedImage:
    """Put the layers in the order the manifest gives, following the layout's links into blobs/."""
    document, source = blobs.document, blobs.source

    def resolve(name: str) -> str:
        for _ in range(8):
            if name not in links:
                break
            name = links[name]
        return name

    def blob(digest: object, what: str) -> str:
        """The path of the blob an OCI descriptor names, which must be by a sha256 digest: it is checked."""
        hexpart = sha256_hex(digest)
        if hexpart is None:
            raise SaveError(f"{source} names a {what} by {shortened(str(digest), quote=True)}, not by a sha256 "
                            "digest dlint can check")
        return "blobs/sha256/" + hexpart

    manifest = document("manifest.json", "manifest")
    named: list[Named] | None  # the layers, each with its descriptor's size (manifest.json gives none)
    if isinstance(manifest, list) and manifest and all(isinstance(m, dict) for m in manifest):
        entry = _pick(manifest, lambda m: _strings(m.get("RepoTags")), image)
        config_name, config_size, layer_names = entry.get("Config"), None, entry.get("Layers")
        named = [(name, None) for name in layer_names] if isinstance(layer_names, list) else None
    else:  # an OCI layout without the docker-compatible manifest.json
        (config_name, config_size), named = _from_index(document, blob, image, source)
    if not isinstance(config_name, str) or named is None:
        raise SaveError(f"{source} has no manifest naming the image's layers")
    if len(named) > MAX_LAYERS:
        raise SaveError(f"the manifest of {source} names {len(named)} layers, more than the {MAX_LAYERS} an image "
                        "can stack")
    config_blob = resolve(_clean(config_name))
    config = document(config_blob, "image config", config_size, _clean(config_name))
    if not isinstance(config, dict):
        raise SaveError(f"{source} lacks the image config its manifest names ({shortened(str(config_name))})")
    ordered = [blobs.layer(resolve(_clean(str(name))), str(name), size) for name, size in named]
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") if isinstance(config.get("rootfs"), dict) else None
    if isinstance(diff_ids, list) and len(diff_ids) != len(ordered):
        raise SaveError(f"the image config in {source} lists {len(diff_ids)} layers but its manifest {len(ordered)}")
    for n, (layer, diff_id) in enumerate(zip(ordered, diff_ids if isinstance(diff_ids, list) else ())):
        if layer.diff_id is not None and diff_id != "sha256:" + layer.diff_id:
            raise SaveError(f"the layer {shortened(str(named[n][0]))} in {source} is not the one its image config "
                            f"lists (rootfs.diff_ids[{n}]): its tar hashes to sha256:{layer.diff_id}")
    config_hex = blobs.digests.get(config_blob)  # the image id is its config's SHA-256, as read
    return SavedImage(config, ordered, None if config_hex is None else "sha256:" + config_hex, source)


Named = tuple[object, "int | None"]  # a blob's name from a descriptor, and the size the descriptor gives


def _from_index(document, blob, image: str | None, source: str) -> tuple[Named, list[Named] | None]:
    """The config and the layers of the image's manifest, each with its descriptor's size; SaveError for a
    layer whose media type says it is something else (a config, an attestation's JSON)."""
    found = document("index.json", "index")
    nothing: tuple[Named, list[Named] | None] = ((None, None), None)
    for depth in range(4):  # index -> (nested index ->) manifest
        manifests = found.get("manifests") if isinstance(found, dict) else None
        if not isinstance(manifests, list) or not manifests or not all(isinstance(m, dict) for m in manifests):
            return nothing
        chosen = _pick(manifests, _ref_names, image) if depth == 0 else manifests[0]
        found = document(blob(chosen.get("digest"), "manifest"), "manifest", _size(chosen))
        if isinstance(found, dict) and "layers" in found:
            config, layers = found.get("config"), found["layers"]
            if not isinstance(config, dict) or not isinstance(layers, list) or not all(isinstance(d, dict) for d in layers):
                return nothing  # "has no manifest naming the image's layers"
            for d in layers:
                _layer_type(d, source)
            named = [(blob(d.get("digest"), "layer"), _size(d)) for d in layers]
            return (blob(config.get("digest"), "image config"), _size(config)), named
    return nothing


LAYER_TYPES = ("application/vnd.oci.image.layer.", "application/vnd.docker.image.rootfs.")


def _layer_type(descriptor: dict, source: str) -> None:
    """SaveError when a layer's descriptor gives a media type that is not a layer's; none given is no error."""
    media = descriptor.get("mediaType")
    if media is not None and not (isinstance(media, str) and media.startswith(LAYER_TYPES)):
        raise SaveError(f"the manifest of {source} names as a layer a blob of media type {shortened(str(media))}, "
                        "not a layer's")


def _size(descriptor: dict) -> int | None:
    """A descriptor's `size`, when it is a count of bytes (the OCI spec requires one; manifest.json has none)."""
    size = descriptor.get("size")
    return size if non_negative_int(size) else None


def _strings(value: object) -> list[str]:
    """The strings of a JSON list (RepoTags); nothing for anything else."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def addressed(name: str) -> str | None:
    """The SHA-256 (hex) a blob's name says its bytes have: `blobs/sha256/<hex>` (OCI, Engine 25+) or a
    docker-archive config's `<hex>.json` (`sha256:<hex>` as go-containerregistry's tarballs name it: crane,
    kaniko); None for a name that says none (`<id>/layer.tar`, index.json)."""
    folder, base = posixpath.split(name)
    if folder == "blobs/sha256":
        return sha256_hex("sha256:" + base)
    if not folder and base.startswith("sha256:"):
        return sha256_hex(base)
    if not folder and base.endswith(".json"):
        return sha256_hex("sha256:" + base.removesuffix(".json"))
    return None


def sha256_hex(digest: object) -> str | None:
    """The 64 hex digits of "sha256:<hex>"; None for anything else (a name from a file never becomes a path)."""
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        return None
    hexpart = digest[7:]
    return hexpart if len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart) else None


REF_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


def _ref_names(descriptor: dict) -> list[str]:
    annotations = descriptor.get("annotations")
    if not isinstance(annotations, dict):
        return []
    return [annotations[k] for k in REF_ANNOTATIONS if isinstance(annotations.get(k), str)]


def _pick(entries: list[dict], names, image: str | None) -> dict:
    """The entry named `image` (exactly, or without its `:latest`); the only one when no name is asked for."""
    if image is None:
        if len(entries) == 1:
            return entries[0]
        raise SaveError(f"the archive holds {len(entries)} images ({_listed(entries, names) or 'unnamed'}): "
                        "pick one with --image")
    for entry in entries:
        if any(n in (image, image + ":latest") for n in names(entry)):
            return entry
    raise SaveError(f"the archive holds no image named {image!r} (it holds: {_listed(entries, names) or 'unnamed images'})")


def _listed(entries: list[dict], names) -> str:
    """The images' names for a one-line error: the first NAMES_SHOWN, each by its start (50,000 were 3 MB)."""
    held = sorted({n for e in entries for n in names(e)})
    more = f" and {len(held) - NAMES_SHOWN:,} more" if len(held) > NAMES_SHOWN else ""
    return ", ".join(map(shortened, held[:NAMES_SHOWN])) + more



def open_chunks(chunks: Iterable[bytes]) -> IO[bytes]:
    """A buffered file over `api.get_image()`'s chunks, for read_save."""
    return io.BufferedReader(ChunkStream(chunks), buffer_size=READ_SIZE)


def read_engine_save(api, image: str, source: str) -> SavedImage:
    """`image` through the engine's `docker save` stream (`api`: the SDK's APIClient); the stream is closed after."""
    chunks = api.get_image(image)
    try:
        return read_save(open_chunks(chunks), None, source)
    finally:
        chunks.close()
