"""`dlint lsp` against what a hostile or buggy editor sends: URIs urlsplit refuses, buffers dlint does not lint
reopened or sent changes it cannot read, a request whose handler fails; raw JSON-RPC over stdio."""

from __future__ import annotations

import json
import re
import sys

from test_lsp_stdio import did_open, messages, msg, session


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


def _reference_offset(text: str, line: int, character: int, encoding: str) -> int:
    """The editor's position as an offset, by the protocol alone: lines end at \\r\\n, \\r or \\n; past a line's
    end is its end, past the last line the text's; inside a UTF-16 pair after it, inside a UTF-8 sequence before."""
    import re

    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    if line >= len(starts):
        return len(text)
    start, end = starts[line], (starts[line + 1] if line + 1 < len(starts) else len(text))
    content = text[start:end].rstrip("\r\n") if line + 1 < len(starts) else text[start:end]
    units = 0
    for i, ch in enumerate(content):
        width = {"utf-8": len(ch.encode()), "utf-16": 1 + (ord(ch) > 0xFFFF)}.get(encoding, 1)
        if units + width > character:
            return start + i + (units < character and encoding == "utf-16")
        units += width
    return start + len(content)


def _reference_end(text: str, encoding: str) -> dict:
    import re

    last = re.split(r"\r\n|\r|\n", text)
    width = {"utf-8": len(last[-1].encode()), "utf-16": len(last[-1].encode("utf-16-le")) // 2}
    return {"line": len(last) - 1, "character": width.get(encoding, len(last[-1]))}


def test_random_edits_leave_the_servers_text_the_editors_in_every_position_encoding():
    """Random edits (CRLF, lone CR, U+2028, U+0085, form feeds, é and astral characters; ranges reversed, past a
    line's end and past the last line; several changes in one didChange, now and then a whole text among them) in
    each negotiated encoding, against a model of the protocol written apart from the server's: after each change
    the fix-all action, which replaces the whole text with `dlint check --fix`'s, is what the model's text gives,
    and its range ends where the model's text does."""
    import random
    import subprocess

    from dlint.lint.engine import Selection
    from dlint.lint.fix import fix_text

    uri, tail = "file:///nowhere/Dockerfile", "FROM debian:12\nRUN apt-get install curl\n"
    rng = random.Random(11)
    alphabet = ["#", "#", " ", "é", "😀", "\r", "\n", "\r\n", "\u2028", "\x85", "\f", "\t"]
    for encoding in ("utf-8", "utf-16", "utf-32"):
        initialize = msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "capabilities": {"general": {"positionEncodings": [encoding]}}}})
        text = "# é😀\r\n#\r# x\n" + tail
        stdin = initialize + msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + did_open(uri, text)
        expected = {}
        for n in range(2, 120):
            changes = []
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.03:
                    text = "#" + "".join(rng.choices(alphabet, k=5)) + "\n" + tail
                    changes.append({"text": text})
                    continue
                editable = max(len(re.split(r"\r\n|\r|\n", text)) - 3, 1)  # the comments above FROM
                ends = [(rng.randrange(editable), rng.choice([0, 1, 2, 3, 5, 8, 2**31 - 1])) for _ in range(2)]
                new = "".join(rng.choices(alphabet, k=rng.randint(0, 3)))
                a, b = sorted(_reference_offset(text, line, ch, encoding) for line, ch in ends)
                if text[b:].startswith("FROM"):
                    new = new.rstrip("\r")  # (so that FROM stays an instruction of its own)
                text = text[:a] + new + text[b:]
                changes.append({"range": {"start": dict(zip(("line", "character"), ends[0])),
                                          "end": dict(zip(("line", "character"), ends[1]))}, "text": new})
            stdin += msg({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": n}, "contentChanges": changes}})
            stdin += msg({"jsonrpc": "2.0", "id": n, "method": "textDocument/codeAction", "params": {
                "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                                        "end": {"line": 0, "character": 0}},
                "context": {"diagnostics": [], "only": ["source.fixAll.dlint"]}}})
            result, _findings, _crashes = fix_text(text, "/nowhere/Dockerfile", Selection.default())
            expected[n] = (text, result.text if result.changed and not result.error else None)
        stdin += msg({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}) + msg({"jsonrpc": "2.0", "method": "exit"})
        p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=120,
                           check=False)
        assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
        answers = {m["id"]: m for m in messages(p.stdout) if isinstance(m, dict) and isinstance(m.get("id"), int)}
        fixed = 0
        for n, (text, new) in expected.items():
            actions = answers[n]["result"]
            if new is None:
                assert actions == [], (encoding, n, text)
                continue
            (edit,) = actions[0]["edit"]["changes"][uri]
            assert (edit["newText"], edit["range"]["end"]) == (new, _reference_end(text, encoding)), (encoding, n)
            fixed += 1
        assert fixed > len(expected) // 2, fixed  # most texts kept the RUN the fix is for


# The server with room for 64 config candidates, saying at its exit how many it remembers.
SMALL_CONFIG_MEMORY = [sys.executable, "-c", """
import atexit, sys
import dlint.lsp.documents as d
import dlint.lsp.server as s
d.MAX_STAMPS = 64
def said():
    configs = s.server.configs
    sys.stderr.write("remembered %d %d\\n" % (len(configs._stamps), len(configs._resolver._by_dir)))
atexit.register(said)
s.serve()
"""]


def test_buffers_opened_and_closed_in_directories_of_their_own_leave_no_config_memory_behind(tmp_path):
    """Each directory a buffer was ever linted in stayed in the config discovery's memory, after its buffer was
    closed too: 20,000 opened and closed left 9 MB. It is bounded (here to 64 candidates), and a buffer opened
    after it forgot still gets its directory's config."""
    (tmp_path / ".dlint.toml").write_text('ignore = ["DL3006"]\n')
    sent = []
    for n in range(200):
        uri = (tmp_path / f"d{n}" / "Dockerfile").as_uri()
        sent += [did_open(uri, "FROM debian\n"), hover(10 + n, uri), msg({
            "jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})]
    last = (tmp_path / "last" / "Dockerfile").as_uri()
    stdin = b"".join([msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
                      *sent, did_open(last, "FROM debian\nMAINTAINER me\n"), hover(9, last, 1, 2),
                      msg({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}),
                      msg({"jsonrpc": "2.0", "method": "exit"})])
    import subprocess

    p = subprocess.run(SMALL_CONFIG_MEMORY, input=stdin, capture_output=True, timeout=120, check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    answers = {m["id"]: m.get("result") for m in messages(p.stdout) if isinstance(m, dict) and "id" in m}
    assert all(answers[10 + n] is None for n in range(200))  # DL3006 ignored: nothing to hover on
    assert answers[9] is not None and "DL4000" in answers[9]["contents"]["value"]  # linted, and the config read
    stamps, directories = map(int, p.stderr.decode().split("remembered ")[1].split())
    assert stamps <= 64 and directories <= 64, (stamps, directories)


# The server saying at its exit how many handlers' futures pygls still keeps.
COUNTING_FUTURES = [sys.executable, "-c", """
import atexit, sys
import dlint.lsp.server as s
atexit.register(lambda: sys.stderr.write("futures %d\\n" % len(s.server.protocol._request_futures)))
s.serve()
"""]


def test_notifications_leave_nothing_behind_in_the_protocol(tmp_path):
    """pygls keeps a generator handler's future under its message's id and forgets it only when it answers a
    request: every didOpen, didChange and didClose (the server's own generators) left one behind for good, a
    future, its lock and its condition for each keystroke. 300 buffers opened, changed twice and closed, and
    hovered on: none is left."""
    sent = []
    for n in range(300):
        uri = (tmp_path / f"d{n}" / "Dockerfile").as_uri()
        sent += [did_open(uri, "FROM debian\n"), whole_change(uri, 2, "FROM debian:12\n"),
                 whole_change(uri, 3, "FROM debian\n"), hover(10 + n, uri), msg({
                     "jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})]
    stdin = b"".join([msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
                      msg({"jsonrpc": "2.0", "method": "initialized", "params": {}}), *sent,
                      msg({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}),
                      msg({"jsonrpc": "2.0", "method": "exit"})])
    import subprocess

    p = subprocess.run(COUNTING_FUTURES, input=stdin, capture_output=True, timeout=120, check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    answers = {m["id"]: m.get("result") for m in messages(p.stdout) if isinstance(m, dict) and "id" in m}
    assert all("DL3006" in answers[10 + n]["contents"]["value"] for n in range(300))  # each change applied
    left = int(p.stderr.decode().split("futures ")[1].split()[0])
    assert left <= 1, left  # exit's own, in flight as the server stops (was 1,202)


def test_a_uri_with_a_lone_surrogate_in_its_path_is_linted_with_the_defaults():
    """JSON can carry a lone surrogate (`\\ud800`) in a URI, and no file name can hold one: looking for the
    path's configs raised UnicodeEncodeError, and the buffer got an internal error instead of its findings.
    It is linted with the defaults, as a path with a NUL is, and its hovers and fixes answer."""
    uri = "file:///nowhere/\ud800/Dockerfile"
    line_1 = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}
    action = msg({"jsonrpc": "2.0", "id": 6, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri}, "range": line_1,
        "context": {"diagnostics": [], "only": ["source.fixAll.dlint"]}}})
    sent = session(did_open(uri, "FROM debian\nRUN apt-get install curl\n"), hover(5, uri), action)
    assert [sorted(d.get("code") for d in shown) for shown in published(sent, uri)] == [
        ["DL3006", "DL3008", "DL3014", "DL3015"]]
    answers = {m["id"]: m.get("result") for m in sent if "id" in m}
    assert "DL3006" in answers[5]["contents"]["value"]
    (fix_all,) = answers[6]
    assert fix_all["edit"]["changes"][uri][0]["newText"] == "FROM debian\nRUN apt-get install -y curl\n"


def test_a_file_on_another_host_is_not_linted_with_this_hosts_configs(tmp_path):
    """`file://buildhost/p/Dockerfile` is `/p/Dockerfile` on buildhost (RFC 8089; a UNC path on Windows): its host
    was dropped, and the configs of this host's `/p` (here one ignoring DL3006) were read for it. localhost's are
    still this host's."""
    (tmp_path / ".dlint.toml").write_text('ignore = ["DL3006"]\n')
    remote, local = (f"file://{host}{tmp_path}/Dockerfile" for host in ("buildhost", "LocalHost"))
    sent = session(did_open(remote, "FROM debian\n"), did_open(local, "FROM debian\n"))
    assert [[d["code"] for d in shown] for shown in published(sent, remote)] == [["DL3006"]]
    assert published(sent, local) == [[]]


def test_a_tcp_address_that_cannot_be_listened_on_is_one_line_not_a_traceback():
    """`--tcp 127.0.0.1:99999` (bind raised OverflowError), a port of 5,000 digits (int() raised ValueError) and a
    port another process holds (OSError) each ended `dlint lsp` with a traceback: each is one line and exit 2."""
    import socket
    import subprocess

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        for address, said in ((f"127.0.0.1:{busy.getsockname()[1]}", "Address already in use"),
                              ("127.0.0.1:99999", "expected HOST:PORT"), ("h:" + "1" * 5000, "expected HOST:PORT")):
            p = subprocess.run([sys.executable, "-m", "dlint", "lsp", "--tcp", address], capture_output=True,
                               timeout=60, check=False)
            assert p.returncode == 2 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
            assert said in p.stderr.decode() and len(p.stderr.decode().splitlines()) == 1, p.stderr.decode()


# The server, at --log-level debug, with a lint that fails for any buffer.
FAILING_LINT_DEBUG = [sys.executable, "-c", """
import dlint.lsp.server as s
def lint_text(*args):
    raise RuntimeError("a rule failed")
s.lint_text = lint_text
s.serve(log_level="debug")
"""]


def test_a_failed_lint_logs_the_uri_with_its_control_characters_escaped():
    """Under --log-level debug a lint that failed was logged with the client's URI as sent: an escape sequence in
    it (`%1B` unescaped by the client, or sent raw) reached the terminal. It is escaped as everything else is."""
    import subprocess

    uri = "file:///nowhere/\x1b]0;pwned\x07/Dockerfile"
    stdin = b"".join([msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
                      did_open(uri, "FROM debian\n"), hover(5, uri),
                      msg({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}),
                      msg({"jsonrpc": "2.0", "method": "exit"})])
    p = subprocess.run(FAILING_LINT_DEBUG, input=stdin, capture_output=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    logged = p.stderr.decode()
    assert "linting file:///nowhere/\\x1b]0;pwned\\x07/Dockerfile failed" in logged
    assert "\x1b" not in logged and "\x07" not in logged


def test_a_message_the_input_ends_inside_is_not_run():
    """A client gone mid-message (its pipe or its TCP connection closed): what had come of the body was read as
    the whole message, and run when it happened to be JSON, here an `exit` that ended the server with 1 (exit
    without shutdown). The input ending inside a message is the end of input, said in one line."""
    import subprocess

    cut = b'{"jsonrpc": "2.0", "method": "exit"}'
    stdin = msg({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    stdin += b"Content-Length: %d\r\n\r\n" % (len(cut) + 20) + cut
    p = subprocess.run([sys.executable, "-m", "dlint", "lsp"], input=stdin, capture_output=True, timeout=60,
                       check=False)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()[-2000:]
    assert "the input ended 36 bytes into a message of 56: stopping" in p.stderr.decode()
