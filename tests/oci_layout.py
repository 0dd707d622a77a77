"""A docker-archive (`docker save` of Engine < 25) rewritten as an OCI image layout, as skopeo or buildx write one.

No skopeo or buildx here: the tests convert real `docker save` output with this
(gzip layers, `index.json` with the ref name, no docker `manifest.json`), so
dlint's OCI reader meets what those tools write without the tools.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def _blob(out: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (out / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (out / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def to_oci_dir(docker_archive: Path, out: Path, ref: str) -> Path:
    """Write the OCI layout of the archive's only image to the directory `out`."""
    with tarfile.open(docker_archive) as tar:
        [entry] = json.load(tar.extractfile("manifest.json"))
        config = tar.extractfile(entry["Config"]).read()
        layers = [gzip.compress(tar.extractfile(name).read(), mtime=0) for name in entry["Layers"]]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(out, config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_blob(out, layer)}
                   for layer in layers],
    }
    described = _blob(out, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **described,
        "annotations": {"org.opencontainers.image.ref.name": ref}}]}
    (out / "index.json").write_text(json.dumps(index))
    (out / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return out


def to_oci_tar(directory: Path, out: Path) -> Path:
    """The layout directory as one tar, index.json first (as buildx `--output type=oci` writes it)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("index.json", "oci-layout"):
            tar.add(directory / name, arcname=name)
        tar.add(directory / "blobs", arcname="blobs")
    out.write_bytes(buf.getvalue())
    return out
