"""`dlint lsp` latency and memory: didChange -> publishDiagnostics, and RSS after the whole corpus.

    .venv/bin/python bench/lsp_speed.py [CORPUS_REAL_DIR]

Speaks JSON-RPC over the server's stdio itself (no client library in the timing).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import corpus_files  # noqa: E402

REAL = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus/real")
ROUNDS = 200


class Server:
    def __init__(self) -> None:
        self.p = subprocess.Popen([sys.executable, "-m", "dlint", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send(self, method: str, params: dict, request: bool = False) -> None:
        msg: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            msg["id"] = self.next_id
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self) -> dict:
        length = 0
        while (line := self.p.stdout.readline().strip()):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def until(self, method: str, uri: str | None = None) -> dict:
        while True:
            msg = self.read()
            if msg.get("method") == method and (uri is None or msg["params"]["uri"] == uri):
                return msg

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.p.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def median_change_ms(server: Server, uri: str, text: str) -> float:
    server.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}})
    server.until("textDocument/publishDiagnostics", uri)
    times = []
    for version in range(2, ROUNDS + 2):
        changed = text + ("# edit\n" if version % 2 else "")
        start = time.perf_counter()
        server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": changed}]})
        server.until("textDocument/publishDiagnostics", uri)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def hundred_lines() -> str:
    lines = ["FROM debian:bookworm-slim AS build", "WORKDIR /src"]
    while len(lines) < 99:
        n = len(lines)
        lines += [f"RUN apt-get update && apt-get install -y --no-install-recommends pkg{n} \\",
                  " && rm -rf /var/lib/apt/lists/*", f"COPY file{n} /src/", f"ENV VAR{n}=value{n}"]
    return "\n".join(lines[:99] + ['CMD ["/src/app"]']) + "\n"


def main() -> None:
    files = corpus_files(REAL) if REAL.is_dir() else []
    server = Server()
    server.send("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, request=True)
    server.read()
    server.send("initialized", {})
    print(f"100-line Dockerfile: median didChange->publishDiagnostics {median_change_ms(server, 'file:///tmp/bench/Dockerfile', hundred_lines()):.2f} ms")
    if files:
        largest = max(files, key=os.path.getsize)
        text = Path(largest).read_text(errors="replace")
        ms = median_change_ms(server, "file:///tmp/bench/largest/Dockerfile", text)
        print(f"largest corpus file ({os.path.getsize(largest)} bytes, {text.count(chr(10))} lines): median {ms:.2f} ms")
        for i, f in enumerate(files):
            uri = f"file:///tmp/bench/corpus/{i}/Dockerfile"
            server.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1,
                                                                  "text": Path(f).read_text(errors="replace")}})
            server.until("textDocument/publishDiagnostics", uri)
        print(f"RSS after linting all {len(files)} corpus files once: {server.rss_mb():.0f} MB")
    else:
        print(f"{REAL}: no corpus; latency for the 100-line file only")
    server.send("shutdown", {}, request=True)
    server.send("exit", {})
    server.p.wait(timeout=30)


if __name__ == "__main__":
    main()
