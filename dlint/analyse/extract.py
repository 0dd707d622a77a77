"""Reading files out of an image the way `docker cp` does, without trusting the archive.

The engine's archive endpoint (`GET /containers/{id}/archive`, what `docker cp`
uses) streams a tar of one path of a container's filesystem. Nothing in that
tar is trusted: members are read one at a time (never `extractall`, and not
`tarfile`'s `filter='data'`, which rejects the absolute links every root
filesystem has and is missing from Debian 12's Python 3.11.2), every write goes
through directory descriptors opened with O_NOFOLLOW, and links are rewritten
so that they can only point inside the destination.

Link policy (what `dlint extract` promises):
- SRC itself is followed when it is a link, like `docker cp -L`: extracting
  /bin/sh gives the shell, not a dangling link.
- A link inside the tree is resolved in the image (absolute targets from the
  image's root, relative ones from the link's directory, through the links of
  the tree). If it lands inside what was extracted it is recreated as a
  relative link to the same place under DEST; anywhere else it would point at
  the host's files, so it is skipped with a warning.
- Links are created after every file and directory, so no member is ever
  written through one; hard links must name a regular file of the same archive.
- /.dockerenv, /etc/hosts, /etc/hostname and /etc/resolv.conf are skipped: the
  engine puts placeholders there in every container, so the image's own files
  cannot be read this way.
- Modes are kept without the setuid and setgid bits; owners are not (the files
  belong to whoever ran dlint, as with `docker cp`). Devices and FIFOs are skipped.
"""

from __future__ import annotations

import base64
import binascii
import errno
import json
import os
import posixpath
import stat as st
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import docker

# Go's os.FileMode keeps the type in high bits; the permission bits are POSIX.
GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
SCRATCH_COMMAND = ["/nonexistent"]  # imported images have no CMD, and create() needs one
MAX_LINK_HOPS = 40  # the kernel's limit
KEPT_MODE_BITS = 0o1777  # permissions and sticky; setuid/setgid are dropped
COPY_CHUNK = 1 << 20
# The engine puts these into every container it creates; the image does not carry them.
ADDED_AT_CREATE = frozenset(
    PurePosixPath(p) for p in ("/.dockerenv", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf")
)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class ExtractError(Exception):
    """A one-line reason the whole extraction cannot go on."""


@dataclass(frozen=True, slots=True)
class PathStat:
    """The engine's `X-Docker-Container-Path-Stat` header: base64 JSON with a Go FileMode."""

    name: str
    size: int
    mode: int
    link_target: str = ""

    @classmethod
    def from_header(cls, header: str) -> PathStat:
        try:
            data = json.loads(base64.b64decode(header, validate=False))
            return cls(str(data["name"]), int(data["size"]), int(data["mode"]), str(data.get("linkTarget") or ""))
        except (binascii.Error, ValueError, KeyError, TypeError) as exc:
            raise ExtractError(f"the engine sent an unreadable path stat header ({exc})") from None

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & GO_MODE_DIR)

    @property
    def is_symlink(self) -> bool:
        return bool(self.mode & GO_MODE_SYMLINK)


@contextmanager
def scratch_container(client: docker.DockerClient, image: str) -> Iterator[str]:
    """A created, never-started container of `image`, removed on the way out; yields its id."""
    import docker.errors

    try:
        cid = client.api.create_container(image, command=SCRATCH_COMMAND, network_disabled=True)["Id"]
    except docker.errors.ImageNotFound:
        raise ExtractError(f"no image {image!r} in the engine") from None
    except docker.errors.APIError as exc:
        raise ExtractError(f"cannot create a container of {image}: {exc.explanation or exc}") from None
    try:
        yield cid
    finally:
        try:
            client.api.remove_container(cid, force=True)
        except docker.errors.NotFound:
            pass


@contextmanager
def open_archive(client: docker.DockerClient, container: str, path: str) -> Iterator[tuple[PathStat, BinaryIO]]:
    """The tar stream of `path` in `container`, closed on the way out.

    The SDK's `get_archive` hides the HTTP response, and the engine keeps the
    container locked (even `remove(force=True)` waits) until the response is
    read to the end or closed; owning the response lets us close it early.
    """
    import docker.errors

    api = client.api
    response = api._get(
        api._url("/containers/{0}/archive", container),
        params={"path": path},
        stream=True,
        headers={"Accept-Encoding": "identity"},  # otherwise the engine may gzip the tar
    )
    try:
        try:
            api._raise_for_status(response)
        except docker.errors.NotFound:
            raise ExtractError(f"{path}: no such file or directory in the image") from None
        except docker.errors.APIError as exc:
            raise ExtractError(f"{path}: {exc.explanation or exc}") from None
        header = response.headers.get("X-Docker-Container-Path-Stat")
        if not header:
            raise ExtractError(f"{path}: the engine sent no path stat header")
        response.raw.decode_content = True  # should the engine compress anyway
        yield PathStat.from_header(header), response.raw
    finally:
        response.close()


@dataclass
class ExtractReport:
    """What `dlint extract` wrote and what it refused, for its summary line."""

    files: int = 0
    directories: int = 0
    links: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self, where: str) -> str:
        counts = ", ".join(
            f"{n} {word if n == 1 else plural}"
            for n, word, plural in (
                (self.files, "file", "files"),
                (self.directories, "directory", "directories"),
                (self.links, "link", "links"),
            )
        )
        skipped = f"; {len(self.warnings)} skipped" if self.warnings else ""
        return f"extracted {counts} ({self.bytes} bytes) to {where}{skipped}"


def image_path(src: str) -> str:
    """SRC as an absolute, normalised image path (relative paths start at the image's root, as in `docker cp`)."""
    return posixpath.normpath("/" + src.lstrip("/"))


def extract(client: docker.DockerClient, image: str, src: str, dest: str) -> tuple[str, ExtractReport]:
    """Copy `src` out of `image` to the host path `dest`; returns where it landed and what was written.

    `dest` an existing directory: SRC lands inside it under its own name;
    otherwise SRC is written as `dest` (whose parent must exist), as `docker cp` does.
    """
    requested = path = image_path(src)
    with scratch_container(client, image) as cid:
        for _ in range(MAX_LINK_HOPS):
            with open_archive(client, cid, path) as (stat, stream):
                if not stat.is_symlink:
                    parent, name = _destination(dest, posixpath.basename(requested), stat)
                    report = unpack(stream, top=stat.name, image_path=path, parent=parent, name=name)
                    return os.path.join(parent, name), report
            target = stat.link_target
            path = image_path(target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target))
        raise ExtractError(f"{src}: too many levels of symbolic links in the image")


def _destination(dest: str, src_name: str, stat: PathStat) -> tuple[str, str]:
    """(host parent directory, entry name) for SRC, following `docker cp`'s rules."""
    target = os.path.abspath(dest)
    if os.path.isdir(target) and src_name:
        return target, src_name
    parent, name = os.path.split(target)
    if not name:
        raise ExtractError(f"refusing to extract onto {target}")
    if os.path.islink(target):
        raise ExtractError(f"{dest} is a symbolic link; dlint never writes through links on the host")
    if os.path.lexists(target) and stat.is_dir and not os.path.isdir(target):
        raise ExtractError(f"cannot copy directory {stat.name} onto file {dest}")
    if not os.path.isdir(parent):
        raise ExtractError(f"{parent}: no such directory")
    return parent, name


def unpack(stream: BinaryIO, *, top: str, image_path: str, parent: str | os.PathLike, name: str) -> ExtractReport:
    """Write the tar `stream` of the image path `image_path` (archived as `top`) to `parent`/`name`.

    Member names must lie under `top` (as the engine writes them); anything else,
    `..`, empty components and every link that would leave `parent`/`name` are
    refused with a warning. Problems with the entry itself raise ExtractError.
    """
    if top != "/" and (not top or "/" in top or top in (".", "..")):
        raise ExtractError(f"the archive's top-level name {top!r} is not a single path component")
    if not name or "/" in name or name in (".", ".."):
        raise ExtractError(f"{name!r} is not a valid entry name")
    root = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)  # the user's own path: followed
    try:
        writer = _Writer(root, name, PurePosixPath(image_path))
        try:
            archive = tarfile.open(fileobj=stream, mode="r|")
            for member in archive:
                writer.add(archive, member, top)
        except tarfile.TarError as exc:
            raise ExtractError(f"the engine sent a broken archive ({exc})") from None
        writer.finish()
        return writer.report
    finally:
        os.close(root)


def member_parts(name: str, top: str) -> tuple[str, ...] | None:
    """The components of `name` below `top`, or None if it is not safely under it."""
    head = "" if top == "/" else top
    if name.rstrip("/") == head:
        return ()
    if not name.startswith(head + "/"):
        return None
    parts = tuple(name[len(head) + 1 :].rstrip("/").split("/"))
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts


class _Refused(Exception):
    """One member cannot be written; the message becomes a warning."""


@dataclass
class _Writer:
    """Writes one archive's members under a directory descriptor, so no path outside it is ever opened."""

    root: int  # descriptor of the directory that receives `name`
    name: str
    image_path: PurePosixPath  # what was archived, for resolving link targets in the image
    report: ExtractReport = field(default_factory=ExtractReport)
    files: set[tuple[str, ...]] = field(default_factory=set)  # regular files written, for hard links
    dirs: list[tuple[tuple[str, ...], int, float]] = field(default_factory=list)  # modes set at the end
    symlinks: dict[tuple[str, ...], str] = field(default_factory=dict)  # created at the end

    def add(self, archive: tarfile.TarFile, member: tarfile.TarInfo, top: str) -> None:
        parts = member_parts(member.name, top)
        try:
            if parts is None:
                raise _Refused("outside the requested path")
            if self._image(parts) in ADDED_AT_CREATE and not member.isdir():
                raise _Refused("the engine adds it to every container; it is not the image's")
            if member.isdir():
                self._directory(parts, member)
            elif member.isreg():
                self._file(parts, member, archive)
            elif member.issym():
                self.symlinks[parts] = member.linkname
            elif member.islnk():
                self._hard_link(parts, member, top)
            else:
                raise _Refused("device or FIFO")
        except _Refused as why:
            if parts == ():
                raise ExtractError(f"cannot write {self.name}: {why}") from None
            self.report.warnings.append(f"skipped {member.name}: {why}")
        except OSError as exc:
            if parts == ():
                raise ExtractError(f"cannot write {self.name}: {exc.strerror}") from None
            self.report.warnings.append(f"skipped {member.name}: {exc.strerror}")

    def finish(self) -> None:
        for parts, target in self.symlinks.items():
            try:
                self._symlink(parts, target)
            except _Refused as why:
                self.report.warnings.append(f"skipped link {self._image(parts)} -> {target}: {why}")
            except OSError as exc:
                self.report.warnings.append(f"skipped link {self._image(parts)}: {exc.strerror}")
        # Deepest first, so a read-only directory does not stop its children's fix-up.
        for parts, mode, mtime in sorted(self.dirs, key=lambda d: -len(d[0])):
            try:
                fd = self._walk((self.name, *parts), create=False)
            except (_Refused, OSError) as exc:
                self.report.warnings.append(f"mode of {self._image(parts)} not set: {exc}")
                continue
            try:
                os.fchmod(fd, mode)
                os.utime(fd, (mtime, mtime))
            finally:
                os.close(fd)

    # -- members ---------------------------------------------------------------------------

    def _directory(self, parts: tuple[str, ...], member: tarfile.TarInfo) -> None:
        fd = self._walk((self.name, *parts), create=True)
        os.close(fd)
        self.dirs.append((parts, member.mode & KEPT_MODE_BITS, member.mtime))
        self.report.directories += 1

    def _file(self, parts: tuple[str, ...], member: tarfile.TarInfo, archive: tarfile.TarFile) -> None:
        parent, leaf = self._parent_of(parts)
        try:
            self._clear(parent, leaf)
            # O_EXCL: a fresh inode, never an existing file that might be hard-linked elsewhere.
            fd = os.open(leaf, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=parent)
        finally:
            os.close(parent)
        try:
            source = archive.extractfile(member)
            assert source is not None  # a regular member always has data
            while chunk := source.read(COPY_CHUNK):
                _write_all(fd, chunk)
            os.fchmod(fd, member.mode & KEPT_MODE_BITS)
            os.utime(fd, (member.mtime, member.mtime))
        finally:
            os.close(fd)
        self.files.add(parts)
        self.report.files += 1
        self.report.bytes += member.size

    def _hard_link(self, parts: tuple[str, ...], member: tarfile.TarInfo, top: str) -> None:
        target = member_parts(member.linkname, top)
        if target is None or target not in self.files:
            raise _Refused(f"hard link to {member.linkname}, not a file of this archive")
        source_dir, source_leaf = self._parent_of(target)
        try:
            parent, leaf = self._parent_of(parts)
            try:
                self._clear(parent, leaf)
                os.link(source_leaf, leaf, src_dir_fd=source_dir, dst_dir_fd=parent, follow_symlinks=False)
            finally:
                os.close(parent)
        finally:
            os.close(source_dir)
        self.files.add(parts)
        self.report.files += 1

    def _symlink(self, parts: tuple[str, ...], target: str) -> None:
        if not parts:
            raise _Refused("the extracted path is itself a link")
        location = resolve_link(self._image(parts), target, self._links())
        if location is None:
            raise _Refused("a loop of links in the image")
        if location != self.image_path and self.image_path not in location.parents:
            raise _Refused("points outside the extracted tree")
        inside = location.relative_to(self.image_path).parts
        relative = posixpath.relpath(posixpath.join("/", *inside), posixpath.join("/", *parts[:-1]))
        parent, leaf = self._parent_of(parts)
        try:
            self._clear(parent, leaf)
            os.symlink(relative, leaf, dir_fd=parent)
        finally:
            os.close(parent)
        self.report.links += 1

    # -- host side: every step from `root` refuses links ----------------------------------

    def _walk(self, parts: tuple[str, ...], create: bool) -> int:
        """A descriptor of root/parts, each component a real directory (made if `create`)."""
        fd = os.dup(self.root)
        try:
            for part in parts:
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o700, dir_fd=fd)
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        raise _Refused(f"{part} on the host is not a directory (a link or a file)") from None
                    raise
                os.close(fd)
                fd = nxt
            return fd
        except BaseException:
            os.close(fd)
            raise

    def _parent_of(self, parts: tuple[str, ...]) -> tuple[int, str]:
        """(descriptor of the directory holding the entry, the entry's name there)."""
        full = (self.name, *parts)
        return self._walk(full[:-1], create=True), full[-1]

    @staticmethod
    def _clear(parent: int, leaf: str) -> None:
        """Remove a non-directory at parent/leaf (unlink never follows a link)."""
        try:
            info = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if st.S_ISDIR(info.st_mode):
            raise _Refused("a directory is in the way on the host")
        os.unlink(leaf, dir_fd=parent)

    def _image(self, parts: tuple[str, ...]) -> PurePosixPath:
        return self.image_path.joinpath(*parts)

    def _links(self) -> dict[PurePosixPath, str]:
        return {self._image(p): t for p, t in self.symlinks.items()}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def resolve_link(link: PurePosixPath, target: str, links: dict[PurePosixPath, str]) -> PurePosixPath | None:
    """Where `link` -> `target` points in the image, following known links on the way but not the last one.

    Only links inside the extracted tree are known; other directories are taken
    as they are named. None: a loop (more than MAX_LINK_HOPS links followed).
    """
    budget = [MAX_LINK_HOPS]

    def walk(base: PurePosixPath, path: str, follow_last: bool) -> PurePosixPath | None:
        current = PurePosixPath("/") if path.startswith("/") else base
        comps = [c for c in path.split("/") if c not in ("", ".")]
        for i, comp in enumerate(comps):
            if comp == "..":
                current = current.parent
                continue
            current = current / comp
            if current in links and (follow_last or i < len(comps) - 1):
                budget[0] -= 1
                if budget[0] < 0:
                    return None
                followed = walk(current.parent, links[current], True)
                if followed is None:
                    return None
                current = followed
        return current

    return walk(link.parent, target, False)
