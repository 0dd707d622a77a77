"""`dlint lsp` against what a hostile or buggy editor sends: URIs urlsplit refuses, buffers dlint does not lint
reopened or sent changes it cannot read, a request whose handler fails; raw JSON-RPC over stdio."""

from __future__ import annotations

import json
import sys

from test_lsp_stdio import did_open, msg, session


def open_as(uri: str, text: str, language: str, version: int = 1) -> bytes:
    return msg({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": language, "version": version, "text": text}}})


def hover(msg_id: int, uri: str, line: int = 0, character: int = 6) -> bytes:
    return msg({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": character}}})


def unreadable_change(uri: str, version: int) -> bytes:
    return msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": "not a list"}})


def whole_change(uri: str, version: int, text: str) -> bytes:
    return msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})


def published(sent: list[dict], uri: str) -> list[list[dict]]:
    return [m["params"]["diagnostics"] for m in sent
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]


def test_a_uri_urlsplit_refuses_is_still_a_buffer_and_its_hover_answered():
    """`file://[::1/...` (an IPv6 host never closed) and a host NFKC turns into `#`: urlsplit raises ValueError.
    The buffer was never opened, each change was logged as an internal error, and a hover was answered with an
    internal error carrying the server's traceback. Each is a buffer of its own and answered like any other."""
    for uri in ("file://[::1/x/Dockerfile", "file://\uff03/x/Dockerfile"):
        sent = session(did_open(uri, "FROM debian\n"), hover(5, uri), whole_change(uri, 2, "FROM debian\n"),
                       hover(6, uri))
        answers = {m["id"]: m for m in sent if "id" in m}
        for msg_id in (5, 6):
            assert "DL3006" in answers[msg_id]["result"]["contents"]["value"], answers[msg_id]
        assert [[d["code"] for d in shown] for shown in published(sent, uri)] == [["DL3006"], ["DL3006"]]
        assert "traceback" not in json.dumps(sent).lower() and "Error" not in json.dumps(sent)


# The server with a hover that fails inside: what a bug in a request's handler would do.
FAILING_HOVER = [sys.executable, "-c", """
import dlint.lsp.hover as h
def hover(*args):
    raise RuntimeError("a hover failed")
h.hover = hover
import dlint.lsp.server as s
s.serve()
"""]


def test_a_request_whose_handler_fails_is_answered_without_the_servers_traceback(tmp_path):
    """pygls answers a request whose handler raised with the traceback in the error's data, file paths and
    source lines of the server, and editors show it: the answer says what was raised and no more."""
    uri = (tmp_path / "Dockerfile").as_uri()
    sent = session(did_open(uri, "FROM debian\n"), hover(5, uri), command=FAILING_HOVER)
    (answer,) = [m for m in sent if m.get("id") == 5]
    assert answer["error"] == {"code": -32603, "message": "RuntimeError: a hover failed"}
    assert "traceback" not in json.dumps(sent).lower()


def test_a_lost_change_to_a_file_dlint_does_not_lint_puts_nothing_on_it(tmp_path):
    """A notes.txt (plaintext) is no Dockerfile: dlint never publishes on it. An unreadable change to it put
    dlint's out-of-step error on it, and as dlint does not lint it, no change, whole text or not, cleared it."""
    uri = (tmp_path / "notes.txt").as_uri()
    other = (tmp_path / "Dockerfile").as_uri()
    sent = session(open_as(uri, "some notes\n", "plaintext"), unreadable_change(uri, 2),
                   whole_change(uri, 3, "other notes\n"), did_open(other, "FROM debian\n"))
    assert published(sent, uri) == []
    assert [[d["code"] for d in shown] for shown in published(sent, other)] == [["DL3006"]]  # it did read them


def test_a_buffer_opened_again_as_a_file_dlint_does_not_lint_keeps_nothing_of_its_old_text(tmp_path):
    """Opened as a Dockerfile and then again (no close between) as plaintext: its old diagnostics stayed in the
    editor, and hovers (and fixes) still answered from the old text. They are cleared, and nothing answers."""
    uri = (tmp_path / "build.txt").as_uri()
    sent = session(open_as(uri, "FROM debian\n", "dockerfile"), hover(5, uri),
                   open_as(uri, "FROM debian\n", "plaintext", 2), hover(6, uri))
    assert [[d["code"] for d in shown] for shown in published(sent, uri)] == [["DL3006"], []]
    answers = {m["id"]: m.get("result") for m in sent if "id" in m}
    assert "DL3006" in answers[5]["contents"]["value"] and answers[6] is None
