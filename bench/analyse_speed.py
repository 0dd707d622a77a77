"""`dlint analyse` against a plain `docker build`, cold and warm, and `--archive` throughput and peak RSS.

    python bench/analyse_speed.py [--rounds N] [--archive-mb MB] [--archive-files N] [--skip-build]

Needs the engine of scripts/docker-test-env (base image dlint-test/busybox:latest, nothing pulled).
The fixture's RUN writes 320 MiB from /dev/urandom and hashes it for ~30 s, so the build is
at least 30 s and the image at least 300 MB. Each round runs the plain build and `dlint analyse`
alternately (cold: --no-cache, then warm), with the same BuildKit CLI, so both share the
machine's load. The archive is a docker-archive written here (layers of random bytes, one file
deleted by a later layer), read by `dlint analyse --archive`; then one of many small files (a
node_modules: the per-entry cost, where the first measures bytes). Everything it creates (images,
temp files, the layer cache it points DLINT_CACHE_DIR at) is removed on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

DOCKER = "/usr/bin/docker"
TAG = f"dlint-bench/analyse-speed:{os.getpid()}"
DOCKERFILE = """\
FROM dlint-test/busybox:latest
RUN head -c 335544320 /dev/urandom > /bulk.bin \\
 && end=$(( $(date +%s) + 30 )) && while [ "$(date +%s)" -lt "$end" ]; do sha256sum /bulk.bin > /bulk.sum; done
COPY note.txt /srv/
"""
ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
BUILT: set[str] = set()  # image ids this run made: removed at the end, tagged or not


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    found = subprocess.run([DOCKER, "image", "inspect", "--format", "{{.Id}}", TAG], capture_output=True, text=True,
                           check=False)
    BUILT.update(found.stdout.split())
    return seconds


def build_bench(rounds: int, context: Path) -> None:
    plain = [DOCKER, "build", "--progress=plain", "-t", TAG, str(context)]
    dlint = [sys.executable, "-m", "dlint", "analyse", "--builder", "buildkit", "-t", TAG,
             str(context / "Dockerfile")]
    timed(plain)  # the base image and the CLI are warm before the first timed round
    for mode, extra, own in (("cold", ["--no-cache"], []), ("warm", [], []), ("warm --no-waste", [], ["--no-waste"])):
        ratios = []
        for _ in range(rounds):
            a = timed(plain[:2] + extra + plain[2:])
            b = timed(dlint[:4] + extra + own + dlint[4:])
            ratios.append(b / a)
            print(f"{mode}: docker build {a:.1f} s, dlint analyse {b:.1f} s, ratio {b / a:.2f}", flush=True)
        print(f"{mode} median ratio {statistics.median(ratios):.2f} over {rounds} round(s)", flush=True)


def layer_file(path: Path, files: dict[str, int | None]) -> str:
    """A layer tar of random files (None: a whiteout); its diff_id."""
    with tarfile.open(path, "w") as tar:
        for name, size in files.items():
            if size is None:
                head, tail = os.path.split(name)
                tar.addfile(tarfile.TarInfo(os.path.join(head, ".wh." + tail)), io.BytesIO())
                continue
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(os.urandom(size)))
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def big_files(total_mb: int) -> list[dict[str, int | None]]:
    """Four layers of 32 MiB random files, the last deleting one file of the first: bytes per second."""
    chunk = 32 << 20
    per_layer = max(1, total_mb // 4 * (1 << 20) // chunk)
    layers = [{f"data/l{n}/f{i}.bin": chunk for i in range(per_layer)} for n in range(3)]
    layers.append({"data/l0/f0.bin": None, **{f"data/l3/f{i}.bin": chunk for i in range(per_layer)}})
    return layers


def many_files(count: int) -> list[dict[str, int | None]]:
    """One layer of `count` 100-byte files, 100 to a directory (a node_modules), then one deleting some."""
    files: dict[str, int | None] = {f"app/node_modules/p{i // 100}/f{i}.js": 100 for i in range(count)}
    return [files, {f"app/node_modules/p{i // 100}/f{i}.js": None for i in range(0, count, 1000)}]


def write_archive(out: Path, layers: list[dict[str, int | None]], work: Path) -> None:
    """A docker-archive of `layers`, each with its history entry."""
    names, diff_ids = [], []
    for n, files in enumerate(layers):
        path = work / f"layer{n}.tar"
        diff_ids.append(layer_file(path, files))
        names.append(path)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": f"RUN /bin/sh -c step {n} # buildkit"}
                                     for n in range(len(layers))]}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["bench:archive"],
                 "Layers": [f"{d[7:]}/layer.tar" for d in diff_ids]}]
    with tarfile.open(out, "w") as tar:
        for d, path in zip(diff_ids, names):
            tar.add(path, f"{d[7:]}/layer.tar")
            path.unlink()
        for name, data in ((config_name, config), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def archive_bench(label: str, layers: list[dict[str, int | None]], work: Path) -> None:
    out = work / "bench.tar"
    write_archive(out, layers, work)
    size, entries = out.stat().st_size, sum(map(len, layers))
    cmd = [sys.executable, "-m", "dlint", "analyse", "--archive", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    out.unlink()
    cpu = usage.ru_utime + usage.ru_stime  # steadier than the wall clock on a shared machine
    print(f"archive, {label}: {size / 1e6:.0f} MB, {entries:,} entries in {seconds:.1f} s = "
          f"{size / 1e6 / seconds:.0f} MB/s ({size / 1e6 / cpu:.0f} MB/s of CPU time), "
          f"{entries / seconds:,.0f} entries/s, "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB, exit {os.waitstatus_to_exitcode(status)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--archive-mb", type=int, default=1024)
    parser.add_argument("--archive-files", type=int, default=200_000)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dlint-bench-"))
    ENV["DLINT_CACHE_DIR"] = str(work / "layer-cache")  # empty at the start: each dlint run stores what it read
    try:
        (work / "ctx").mkdir()
        (work / "ctx" / "Dockerfile").write_text(DOCKERFILE)
        (work / "ctx" / "note.txt").write_text("bench\n")
        if not args.skip_build:
            build_bench(args.rounds, work / "ctx")
        archive_bench("big files", big_files(args.archive_mb), work)
        archive_bench("many small files", many_files(args.archive_files), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run([DOCKER, "rmi", "-f", TAG, *BUILT], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)


if __name__ == "__main__":
    main()
