"""`dlint lsp` over raw JSON-RPC on its stdio, for what a well-behaved client library cannot send."""

from __future__ import annotations

import json
import subprocess
import sys


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def msg(obj) -> bytes:
    return frame(json.dumps(obj).encode())


def test_garbage_from_the_client_gets_errors_and_no_traceback():
    """Invalid JSON and an unknown method: the server answers the next request and exits cleanly."""
    stdin = (
        frame(b"{not json")
        + frame(b"\xff\xfe\x00garbage")
        + msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        + msg({"jsonrpc": "2.0", "id": 2, "method": "no/such/method", "params": {}})
        + msg({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {"bogus": 1}})
        + msg({"jsonrpc": "2.0", "id": 4, "method": "shutdown"})
        + msg({"jsonrpc": "2.0", "method": "exit"})
    )
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=60, check=False)
    out = p.stdout.decode()
    assert '"id": 1' in out.replace('"id":1', '"id": 1') or '"id":1' in out
    for request in (2, 3, 4):
        assert f'"id": {request}' in out or f'"id":{request}' in out
    assert p.returncode == 0
    assert b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]


def test_a_client_that_goes_away_mid_answer_leaves_no_traceback():
    """The editor closes the pipe before reading the shutdown answer: the server exits quietly."""
    p = subprocess.Popen([sys.executable, "-m", "dlint", "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}))
    p.stdin.flush()
    p.stdout.readline()  # the answer has started: the server is up
    p.stdout.close()
    p.stdin.write(msg({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"}))
    p.stdin.close()
    assert p.wait(timeout=60) in (0, 1)
    stderr = p.stderr.read()
    assert b"Traceback" not in stderr, stderr.decode()[-2000:]
