"""`dlint lsp` over raw JSON-RPC on its stdio, for what a well-behaved client library cannot send."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


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


def messages(out: bytes) -> list[dict]:
    """What the server wrote, in order."""
    return [json.loads(m[m.index(b"{"):]) for m in out.split(b"Content-Length")[1:]]


INITIALIZE = msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})


def test_a_length_pygls_cannot_read_stops_the_server_in_one_line():
    """5,000 digits (int() refuses past 4,300), 10**11 bytes (read at once: a MemoryError), a header line of
    a megabyte: each is broken framing, said once, and the server stops as at the end of its input."""
    for header, said in ((b"Content-Length: " + b"9" * 5000 + b"\r\n", "a header line longer than 4096 bytes"),
                         (b"Content-Length: 100000000000\r\n", "'Content-Length: 100000000000': over the 64 MiB"),
                         (b"X" * (1 << 20) + b"\r\n", "a header line longer than 4096 bytes")):
        p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=INITIALIZE + header + b"\r\n", capture_output=True,
                           timeout=60, check=False)
        assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
        assert said in p.stderr.decode()
        assert b'"id":1' in p.stdout.replace(b" ", b"")  # what came before the broken header was answered


def test_a_document_whose_uri_is_percent_encoded_is_linted(tmp_path):
    """Editors send a space as %20: pygls keeps the document under the decoded URI, and dlint found nothing."""
    folder = tmp_path / "my project é"
    folder.mkdir()
    uri = "file://" + str(folder).replace(" ", "%20").replace("é", "%C3%A9") + "/Dockerfile"
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + msg({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": "FROM debian\n"}}})
    stdin += msg({"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover",  # lints what is pending first
                  "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}})
    stdin += msg({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, cwd=tmp_path, timeout=60,
                       check=False)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    published = [m for m in p.stdout.split(b"Content-Length") if b"publishDiagnostics" in m]
    assert any(uri.encode() in m and b"DL3006" in m for m in published), p.stdout.decode()[-2000:]



def test_a_malformed_length_is_skipped_as_pygls_does_and_the_session_goes_on():
    """Only a length too long to read stops the server: `Content-Length: abc` is a header pygls ignores."""
    stdin = (b"Content-Length: abc\r\n\r\n" + INITIALIZE + msg({"jsonrpc": "2.0", "id": 4, "method": "shutdown"})
             + msg({"jsonrpc": "2.0", "method": "exit"}))
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=60, check=False)
    out = p.stdout.replace(b" ", b"")
    assert p.returncode == 0 and b'"id":1' in out and b'"id":4' in out, p.stderr.decode()[-2000:]
    assert b"stopping" not in p.stderr


def test_a_burst_of_changes_is_linted_for_its_newest_text_not_once_per_change(tmp_path):
    """A client that sends 500 edits at once (a paste, a formatter, a replayed queue) was answered with 500
    lints, one after another, before the server read its next request; the burst is now linted when the
    input goes quiet, and a hover sent after it sees the newest text."""
    uri = (tmp_path / "Dockerfile").as_uri()
    bad = "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n"
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + msg({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": "FROM debian:12\n"}}})
    for version in range(2, 502):
        text = bad if version == 501 else f"FROM debian:12\nLABEL edit={version}\n"
        stdin += msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
                      "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})
    stdin += msg({"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover",
                  "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}})
    stdin += msg({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, cwd=tmp_path, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    published = [m for m in messages(p.stdout) if m.get("method") == "textDocument/publishDiagnostics"]
    assert 1 <= len(published) < 100, len(published)  # was 501: every change linted
    last = published[-1]["params"]
    assert last["version"] == 501 and {"DL3009", "DL3006"} <= {d["code"] for d in last["diagnostics"]}


def test_a_change_the_client_leaves_right_after_is_still_linted(tmp_path):
    """A change and then the end of input, or shutdown at once (a scripted client, `dlint lsp < session`): the
    lint waiting for the input to go quiet is run before the server leaves, and before it answers shutdown."""
    uri = (tmp_path / "Dockerfile").as_uri()
    opened = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + msg({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": "FROM debian\n"}}})
    shutdown = msg({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    for stdin in (opened, opened + shutdown):
        p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, cwd=tmp_path,
                           timeout=60, check=False)
        assert p.returncode == 0, p.stderr.decode()[-2000:]
        sent = messages(p.stdout)
        published = [i for i, m in enumerate(sent) if m.get("method") == "textDocument/publishDiagnostics"]
        assert published and [d["code"] for d in sent[published[-1]]["params"]["diagnostics"]] == ["DL3006"]
        if stdin.endswith(shutdown):
            assert published[-1] < [i for i, m in enumerate(sent) if m.get("id") == 9][0]


def test_a_buffer_over_the_file_size_limit_is_one_error_not_a_lint(tmp_path):
    """`dlint check` refuses a file over --max-file-size (1 MB) unread; the editor's buffer was linted whatever its
    size (hundreds of MB and minutes for a few MB of instructions, with the server deaf meanwhile). It is refused
    the same way, and linted again once it is back under the limit."""
    uri = (tmp_path / "Dockerfile").as_uri()
    big = "FROM debian\n" + "# padding\n" * 100_001
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + msg({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": big}}})
    stdin += msg({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",
                  "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}})
    stdin += msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "FROM debian\n"}]}})
    stdin += msg({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, cwd=tmp_path, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    published = [m["params"] for m in messages(p.stdout) if m.get("method") == "textDocument/publishDiagnostics"]
    first = [d for d in published if d["version"] == 1]
    assert [d["message"] for d in first[0]["diagnostics"]] == [
        f"{tmp_path / 'Dockerfile'}: larger than 1000000 bytes (--max-file-size), not read"]
    assert [d["code"] for d in published[-1]["diagnostics"]] == ["DL3006"] and published[-1]["version"] == 2


def test_a_request_after_shutdown_is_answered_with_an_error():
    """pygls dropped every request after shutdown unanswered, and a client awaiting one (a hover, a second
    shutdown) waited for ever; the protocol says each gets an InvalidRequest error. exit still ends the server."""
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    stdin += msg({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover",
                  "params": {"textDocument": {"uri": "file:///Dockerfile"}, "position": {"line": 0, "character": 0}}})
    stdin += msg({"jsonrpc": "2.0", "id": "again", "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=60, check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    answers = {m["id"]: m for m in messages(p.stdout) if "id" in m}
    assert answers[2]["result"] is None
    assert answers[3]["error"]["code"] == answers["again"]["error"]["code"] == -32600


def test_exit_without_shutdown_exits_1_as_the_protocol_says():
    """pygls's exit code was lost (start_io swallows its SystemExit): exit without shutdown exited 0."""
    exit_ = msg({"jsonrpc": "2.0", "method": "exit"})
    for stdin, code in ((INITIALIZE + exit_, 1), (INITIALIZE + msg({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}) + exit_, 0)):
        p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=60, check=False)
        assert p.returncode == code and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]


def session(*sent: bytes, cwd=None, command=(sys.executable, "-m", "dlint", "lsp")) -> list[dict]:
    """What the server wrote for `sent` between initialize and shutdown/exit (each array one message)."""
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + b"".join(sent)
    stdin += msg({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run(list(command), input=stdin, capture_output=True, cwd=cwd, timeout=60, check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    return [json.loads(m[m.index(b"\r\n\r\n") + 4:]) for m in p.stdout.split(b"Content-Length")[1:]]


def did_open(uri: str, text: str, **extra) -> bytes:
    return msg({"jsonrpc": "2.0", "method": "textDocument/didOpen", **extra,
                "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}})


def test_a_notification_sent_with_an_id_is_handled_and_answered(tmp_path):
    """didOpen with an id is a request for JSON-RPC, and its client waits for the answer: none came, ever. It is
    answered (null), and the buffer is opened as the notification says: its diagnostics come."""
    uri = (tmp_path / "Dockerfile").as_uri()
    sent = session(did_open(uri, "FROM debian\n", id=5))
    (answer,) = [m for m in sent if m.get("id") == 5]
    assert answer["result"] is None and "error" not in answer
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert [d["code"] for d in published[-1]["diagnostics"]] == ["DL3006"]


def test_a_batch_is_answered_with_an_error_for_each_request_in_it(tmp_path):
    """A JSON array (a JSON-RPC batch, which LSP has not) got no answer and a pop-up: a client awaiting its
    requests waited for ever. Each is answered InvalidRequest under its id; a batch of none gets one error."""
    uri = (tmp_path / "Dockerfile").as_uri()
    hover = {"jsonrpc": "2.0", "id": 6, "method": "textDocument/hover",
             "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}}
    sent = session(msg([hover, dict(hover, id="seven"), {"jsonrpc": "2.0", "method": "initialized", "params": {}}]),
                   msg([]), msg({"id": 8, "method": "shutdown"}))
    arrays = [m for m in sent if isinstance(m, list)]
    assert [[(a["id"], a["error"]["code"]) for a in answers] for answers in arrays] == [
        [(6, -32600), ("seven", -32600)]]
    assert [m["error"]["code"] for m in sent if isinstance(m, dict) and "id" in m and m["id"] is None] == [-32600]
    assert [m["error"]["code"] for m in sent if isinstance(m, dict) and m.get("id") == 8] == [-32600]  # no "jsonrpc"
    assert not [m for m in sent if isinstance(m, dict) and m.get("method") == "window/showMessage"]
    assert [m for m in sent if isinstance(m, dict) and m.get("id") == 99]  # and the session went on


def test_a_malformed_notification_is_logged_once_and_never_a_pop_up(tmp_path):
    """A didChange whose params do not validate made pygls show an error pop-up, again for each one; it is said
    once in the editor's log, and the next good change is linted."""
    uri = (tmp_path / "Dockerfile").as_uri()
    bad = msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
               "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": "not a list"}})
    good = msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": {"textDocument": {"uri": uri, "version": 3},
                           "contentChanges": [{"text": "FROM debian:12\n"}]}})
    sent = session(did_open(uri, "FROM debian\n"), bad, bad, good)
    assert not [m for m in sent if m.get("method") == "window/showMessage"]
    logged = [m["params"]["message"] for m in sent if m.get("method") == "window/logMessage"]
    assert len(logged) == 1 and "textDocument/didChange" in logged[0]
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert published[-1] == {"uri": uri, "version": 3, "diagnostics": []}


# The server with an internal error in the lint of any buffer holding BOOM: what a bug in a rule would do.
FAILING_LINT = [sys.executable, "-c", """
import dlint.lsp.server as s
real = s.lint_text
def lint_text(text, *args):
    if "BOOM" in text:
        raise RuntimeError("a rule failed")
    return real(text, *args)
s.lint_text = lint_text
s.serve()
"""]


def test_a_lint_that_fails_replaces_the_old_diagnostics_with_its_error(tmp_path):
    """After an internal error the editor went on showing the findings of the text before the edit, for lines
    that may no longer hold them, and nothing said the buffer was not linted: one error says so now."""
    uri = (tmp_path / "Dockerfile").as_uri()
    change = msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "FROM debian\n# BOOM\n"}]}})
    hover = msg({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",  # lints each pending change first
                 "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}})
    sent = session(did_open(uri, "FROM debian\n"), hover, change, command=FAILING_LINT)
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert [d["code"] for d in published[0]["diagnostics"]] == ["DL3006"]
    assert published[-1]["version"] == 2
    (error,) = published[-1]["diagnostics"]
    assert error["severity"] == 1 and "RuntimeError: a rule failed" in error["message"]


# The server with a bug in one rule (DL3006's check raises), the others as they are.
FAILING_RULE = [sys.executable, "-c", """
from dlint.lint.registry import all_rules
import dlint.lsp.server as s
def broken(ctx):
    raise RuntimeError("a rule failed")
all_rules()["DL3006"] = all_rules()["DL3006"]._replace(check=broken)
s.serve()
"""]


def test_a_rule_that_crashes_is_an_internal_error_beside_the_other_findings(tmp_path):
    """A crashing rule vanished from the editor (the lint's crashes were dropped), as if it had found nothing:
    now it is the DL1002 error `dlint check` reports, and every other rule's findings stay."""
    uri = (tmp_path / "Dockerfile").as_uri()
    sent = session(did_open(uri, "FROM debian\nFROM alpine:latest\n"), command=FAILING_RULE)
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    found = {d["code"]: d for d in published[-1]["diagnostics"]}
    assert set(found) == {"DL1002", "DL3007"}
    assert found["DL1002"]["severity"] == 1 and found["DL1002"]["range"]["start"]["line"] == 0
    assert "rule DL3006" in found["DL1002"]["message"] and "RuntimeError: a rule failed" in found["DL1002"]["message"]


def test_one_change_of_10000_small_edits_to_a_large_buffer_is_applied_in_linear_time(tmp_path):
    """Each edit of a didChange re-split the whole buffer into lines and copied it: 10,000 one-character edits
    (a multi-cursor edit, a formatter's) to a 40,000-line buffer took minutes, the server deaf meanwhile. The
    timeout is a hang guard only: the edits now take well under a second."""
    uri = (tmp_path / "Dockerfile").as_uri()
    text = "FROM debian:12\n" + "# a comment line\n" * 40_000
    edits = [{"range": {"start": {"line": line, "character": 2}, "end": {"line": line, "character": 3}}, "text": "A"}
             for line in range(1, 10_001)]
    edits.append({"range": {"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 14}}, "text": ""})
    change = msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
                  "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": edits}})
    hover = msg({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",  # answered for the text after the edits
                 "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}})
    sent = session(did_open(uri, text), change, hover)
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert published[-1]["version"] == 2 and [d["code"] for d in published[-1]["diagnostics"]] == ["DL3006"]


@pytest.mark.parametrize(("header", "said"), [
    (b"Content-Length: 100000000000\r\n\r\n", "'Content-Length: 100000000000': over the 64 MiB"),
    (b"X" * (1 << 20), "a header line longer than 4096 bytes")])
def test_tcp_reads_with_the_bounds_stdio_has(header, said):
    """`dlint lsp --tcp` read with pygls's own reader, unbounded: a length of 10**11 had the server wait for that
    many bytes, holding what came, and a header line with no end held it too. Both now stop the server in one
    line, as on stdio, while the client keeps its connection open."""
    p, client, _answered = tcp_session("127.0.0.1", "127.0.0.1")
    try:
        with client:
            try:
                client.sendall(header)
                while client.recv(1 << 16):  # till the server closes it (the old one waited: a timeout)
                    pass
            except ConnectionResetError:  # closed with some of the header line unread
                pass
        assert p.wait(timeout=30) == 0
    finally:
        p.kill()
        stderr = p.stderr.read()
        p.stderr.close()
    assert said in stderr.decode() and b"Traceback" not in stderr, stderr.decode()[-2000:]


def test_one_change_of_2000_edits_to_one_5_mb_line_takes_seconds_not_a_minute(tmp_path):
    """Each edit of a didChange copied its line whole (and encoded it whole to find a column): 2,000 edits to a
    5 MB line took 49 s to apply, the server deaf meanwhile. A long line is now kept in pieces while a change is
    applied; the guard is generous (the edits take well under a second) and the text they make is checked."""
    import time

    uri = (tmp_path / "Dockerfile").as_uri()
    text = "FROM debian:12\nRUN echo " + "x" * 5_000_000 + "\n"
    edits = [{"range": {"start": {"line": 1, "character": 9 + i}, "end": {"line": 1, "character": 9 + i + 2500}},
              "text": "a"} for i in range(2000)]  # each takes 2,500 x's and leaves an a: the line shrinks to 2,009
    edits.append({"range": {"start": {"line": 1, "character": 2009}, "end": {"line": 1, "character": 2009}},
                  "text": " && apt-get install -y curl"})
    change = msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
                  "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": edits}})
    started = time.monotonic()
    sent = session(did_open(uri, text), change)
    elapsed = time.monotonic() - started
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert published[-1]["version"] == 2
    found = {(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"])
             for d in published[-1]["diagnostics"]}
    assert ("DL3008", 1, 2032) in found, found  # `curl`, after 2,000 a's: every edit landed where it was sent
    assert elapsed < 20, elapsed


def test_a_lost_change_says_the_buffer_is_out_of_step_and_stops_linting_it(tmp_path):
    """A didChange that could not be read was logged and dropped, and the server went on applying the next edits
    to its stale copy: findings (and fixes) for text the editor did not have, and nothing in the editor said so.
    One error on line 1 now says it; the buffer is not linted until the editor sends its whole text again."""
    uri = (tmp_path / "Dockerfile").as_uri()
    bad = msg({"jsonrpc": "2.0", "method": "textDocument/didChange",
               "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": "not a list"}})
    edit = msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 11}, "end": {"line": 0, "character": 11}}, "text": ":12"}]}})
    whole = msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": "FROM debian\n"}]}})

    def hover(msg_id: int) -> bytes:
        return msg({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover",
                    "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}})

    sent = session(did_open(uri, "FROM debian\n"), hover(6), bad, bad, edit, hover(7), whole, hover(8))
    published = [m["params"] for m in sent if m.get("method") == "textDocument/publishDiagnostics"]
    assert [(p["version"], [d.get("code") for d in p["diagnostics"]]) for p in published] == [
        (1, ["DL3006"]), (1, [None]), (4, ["DL3006"])]  # nothing for version 3: an edit to a stale copy
    (error,) = published[1]["diagnostics"]
    assert error["range"]["start"]["line"] == 0 and error["severity"] == 1 and "reopen" in error["message"]
    answers = {m["id"]: m.get("result") for m in sent if "id" in m}
    assert answers[7] is None and "DL3006" in answers[8]["contents"]["value"]


# The server counting, on stderr, each time it looks for a buffer's line ends (bound before dlint.lsp imports it).
COUNTING_EOL = [sys.executable, "-c", """
import sys
import dlint.lint.fix as fix
real = fix.mostly_crlf
def mostly_crlf(text):
    sys.stderr.write("mostly_crlf\\n")
    return real(text)
fix.mostly_crlf = mostly_crlf
import dlint.lsp.server as s
s.serve()
"""]


def test_a_buffers_line_ends_are_counted_once_per_text_not_per_code_action_request(tmp_path):
    """Each code action request counted the line ends of the whole text (is it mostly CRLF?) to end an ignore
    pragma as --fix would: once for the text linted is enough. The pragma still ends in CRLF in a CRLF file."""
    uri = (tmp_path / "Dockerfile").as_uri()
    whole_line = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}
    actions = b"".join(msg({"jsonrpc": "2.0", "id": 10 + n, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri}, "range": whole_line, "context": {"diagnostics": []}}}) for n in range(5))
    stdin = INITIALIZE + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    stdin += did_open(uri, "FROM debian\r\n") + actions
    stdin += msg({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
    p = subprocess.run(COUNTING_EOL, input=stdin, capture_output=True, timeout=60, check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    answers = [m for m in messages(p.stdout) if isinstance(m.get("id"), int) and 10 <= m["id"] < 15]
    assert len(answers) == 5
    for answer in answers:
        (ignore,) = [a for a in answer["result"] if a["title"] == "Ignore DL3006 for this instruction"]
        assert ignore["edit"]["changes"][uri][0]["newText"] == "# dlint ignore=DL3006\r\n"
    assert p.stderr.decode().count("mostly_crlf") == 1  # was 5: one for each request


@pytest.mark.parametrize("host, spelt", [("::1", "::1"), ("::1", "[::1]"), ("127.0.0.1", "localhost")])
def test_tcp_listens_on_the_address_family_the_host_names(host, spelt):
    """`--tcp ::1:PORT` was refused ("Address family for hostname not supported") once the server bound its own
    socket: the family is the address's, IPv6 as IPv4, bracketed or not, a name as it resolves."""
    p, client, answered = tcp_session(host, spelt)
    try:
        client.close()
        assert b'"capabilities"' in answered
    finally:
        p.kill()
        p.wait(timeout=30)
        p.stderr.close()


def tcp_session(host: str, spelt: str):
    """`dlint lsp --tcp SPELT:PORT` on a free port of `host`, a client connected and initialized: (the server's
    process, the client's socket, the initialize answer)."""
    import socket
    import time

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip(f"this machine has no {host} loopback to listen on (a kernel without IPv6)")
    p = subprocess.Popen([sys.executable, "-m", "dlint", "lsp", "--tcp", f"{spelt}:{port}"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            client = socket.create_connection((host, port), timeout=30)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline or p.poll() is not None:
                p.kill()
                raise AssertionError("the server never listened") from None
            time.sleep(0.05)
    client.sendall(INITIALIZE)
    answered = b""
    while b'"id":1' not in answered.replace(b" ", b""):
        chunk = client.recv(1 << 16)
        assert chunk, answered
        answered += chunk
    return p, client, answered
