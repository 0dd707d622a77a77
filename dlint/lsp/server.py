"""The language server: pygls over stdio (or TCP), linting open buffers from the editor's text."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import select
import socket
import sys
import time
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, unquote_to_bytes, urlsplit

from lsprotocol import types
from pygls.exceptions import FeatureRequestError, JsonRpcException, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from dlint import __version__, exitcodes
from dlint.lint.config import ConfigError, ConfigFileError, Flags, Resolver, Settings
from dlint.lint.context import ScriptCache
from dlint.lsp import actions, diagnostics, hover
from dlint.lsp.documents import (CONFIG_NAMES, Buffer, Configs, Linted, apply_changes, client_offset, lint_text,
                                 wants)
from dlint.lint.runner import error_text, short_error
from dlint.output import printable, printable_lines, shortened
from dlint.parsing.source import MAX_FILE_SIZE, too_large

# A change is linted as soon as the client has sent nothing more; while more input is waiting (a burst of
# edits: a paste, a formatter, a client replaying its queue) the lint waits, polling, for at most
# MAX_QUIET_WAIT, or as long as the document's last lint took if that is longer, so a burst is linted once for
# its newest text, a long stream still gets diagnostics, and a slow document is not linted over and over while
# edits queue behind it (1,000 edits to a 960 KB buffer took 662 s, 45 lints of 16 s each).
QUIET_POLL_SECONDS = 0.002
MAX_QUIET_WAIT = 0.5
MAX_PATH = 4096  # PATH_MAX
MAX_MESSAGE = 64 << 20  # bytes of one message: a 10 MB document, escaped in JSON, fits (and gets its too-large error)
MAX_HEADER = 4096  # bytes of one header line (`Content-Length: 123`)
CHUNK = 1 << 20  # bytes taken from the stream at a time
MAX_LOGGED = 1000  # different messages log_once says; after that, none
MAX_SAID = 1000  # characters of one: a method name may be megabytes, and each is kept
_CONTENT_LENGTH = re.compile(rb"Content-Length: *(\d+)\r\n")
log = logging.getLogger("dlint.lsp")


class BoundedInput:
    """The client's stream as pygls reads it, with the framing bounded: pygls reads a header line
    whole, calls int() on a length of any number of digits (past 4,300 a ValueError ends the server
    with a traceback) and then reads that many bytes at once (10**11: a MemoryError). A header line
    or a message past the limits means the framing is broken: it is said in one line and read as the
    end of input, so the server stops as it does when the client goes away.

    It buffers what it has read itself, so that `waiting` can tell whether more input is already
    there: a buffered stream's buffer cannot be looked at, and a select() on its descriptor misses it."""

    def __init__(self, stream) -> None:
        self._stream = stream  # binary, with read1 (sys.stdin.buffer, a socket's makefile("rb"))
        self._buffer = bytearray()
        self._ended = False  # select() calls a pipe at its end readable: nothing more will come

    def readline(self) -> bytes:
        while (end := self._buffer.find(b"\n", 0, MAX_HEADER)) < 0:
            if len(self._buffer) >= MAX_HEADER:
                return self._broken(f"a header line longer than {MAX_HEADER} bytes")
            if not self._more():
                return self._take(len(self._buffer))
        line = self._take(end + 1)
        match = _CONTENT_LENGTH.fullmatch(line)  # any other header, a malformed one too, is pygls's to judge
        if match is not None and (len(match.group(1)) > 20 or int(match.group(1)) > MAX_MESSAGE):
            shown = line[:40].decode("ascii", "backslashreplace").strip()
            return self._broken(f"{shown!r}: over the {MAX_MESSAGE >> 20} MiB dlint reads of one message")
        return line

    def read(self, size: int) -> bytes:
        """A message's body; the input ending inside it is the end of input: what had come of it was read as
        the whole message, and run if it was JSON (a cut-short `exit` ended the server as a request would)."""
        while len(self._buffer) < size and self._more():
            pass
        if len(self._buffer) < size:
            return self._broken(f"the input ended {len(self._buffer):,} bytes into a message of {size:,}")
        return self._take(size)

    def waiting(self) -> bool:
        """More of the client's input is here, read or not (called from the event loop's thread)."""
        if self._buffer:
            return True
        if self._ended:
            return False
        try:
            return bool(select.select([self._stream], [], [], 0)[0])
        except (OSError, ValueError):  # no descriptor to ask (a test's stream; select on a Windows pipe)
            return False

    def _more(self) -> bool:
        chunk = self._stream.read1(CHUNK)
        self._buffer += chunk
        self._ended = not chunk
        return bool(chunk)

    def _take(self, size: int) -> bytes:
        with memoryview(self._buffer) as view:  # one copy of a 64 MiB body, not two
            out = bytes(view[:size])
        del self._buffer[:size]
        return out

    def _broken(self, why: str) -> bytes:
        log.error("%s: stopping", why)
        self._buffer.clear()
        return b""


def _oversized(text: str) -> bool:
    """Over --max-file-size's default in UTF-8, as the file would be on disk. A character is one to
    four bytes, so the text is encoded to count only between a quarter of the limit and the limit:
    a buffer grown past it by many changes is refused without a copy of it."""
    if len(text) <= MAX_FILE_SIZE // 4 or len(text) > MAX_FILE_SIZE:
        return len(text) > MAX_FILE_SIZE
    return len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_SIZE


def _defaults(path: str) -> Settings:
    """Settings no config file changes: for a path that names no directory to search, or when its config is broken."""
    return Resolver(Flags(isolated=True)).settings_for(path)


def _nameable(path: str) -> bool:
    """`path` can be a file's name: the file system's encoding has each of its characters."""
    try:
        os.fsencode(path)
    except UnicodeError:
        return False
    return True


def _invalid(why: str):
    return JsonRpcInvalidRequest(why).to_response_error()


def _invalid_answer(msg_id: int | str | None, why: str) -> dict:
    """An InvalidRequest answer with its id even when null, as JSON-RPC says (pygls leaves a null id out)."""
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": JsonRpcInvalidRequest.CODE, "message": why}}


def _lint_failed(exc: Exception) -> types.Diagnostic:
    """What replaces a buffer's diagnostics when its lint fails: the editor kept the older text's findings, on
    lines that may no longer hold them, and nothing said this text was not linted."""
    said = printable(short_error(error_text(exc)))
    return diagnostics.file_error(f"dlint could not lint this text (an internal error: {said}); "
                                  "`dlint lsp --log-level debug` shows the traceback")


# What a URI component may hold unescaped (RFC 3986's sub-delims, ':' and '@'), '?' and '#' not: they end one.
_KEPT = "/:@!$&'()*+,;=~"


def document_key(uri: str) -> str:
    """The key of the document `uri` names, one for every spelling of one URI: an escape and the character it
    stands for are one (`a%20b` and `a b`, `%3A` and `:`), and `file://localhost/` is `file:///` (RFC 8089).
    Each component is unescaped and escaped again, so that `c%23` (a file `c#`) and a raw `c#` (a file `c`, a
    fragment after it) stay two: pygls's key, the URI unescaped whole, made them one. Never parse a key.
    A URI urlsplit refuses (`file://[::1/x`: an IPv6 host unclosed) is its own key: it raised, in every handler."""
    parts = _split(uri)
    if parts is None:
        return uri
    scheme = parts.scheme  # lowercased
    host = "" if scheme == "file" and parts.netloc.lower() == "localhost" else parts.netloc
    authority = f"//{host}" if scheme == "file" or uri[len(scheme) + 1:].startswith("//") else ""
    query = f"?{_canonical(parts.query)}" if parts.query else ""
    fragment = f"#{_canonical(parts.fragment)}" if parts.fragment else ""
    return f"{scheme}:{authority}{_canonical(parts.path)}{query}{fragment}"


def _canonical(component: str) -> str:
    """`component` with every escape it needs and no other (as bytes: a lone surrogate or a stray %FF kept)."""
    return quote(unquote_to_bytes(component.encode("utf-8", "surrogatepass")), safe=_KEPT)


def uri_path(uri: str) -> str:
    """The file a `file:` URI names (its path only: a `;` is part of it, a `#` ends it); any other URI itself.
    One on another host (`file://host/share/x`, RFC 8089) is the UNC path `//host/share/x`: its host was dropped,
    and the local `/share/x`'s configs were read for it."""
    parts = _split(uri)
    if parts is None or parts.scheme != "file":
        return uri
    host = "" if parts.netloc.lower() == "localhost" else unquote(parts.netloc)
    return f"//{host}{unquote(parts.path)}" if host else unquote(parts.path)


def _split(uri: str) -> SplitResult | None:
    """`uri`'s components, or None for one urlsplit refuses (a `[` host unclosed, one NFKC makes `#` of)."""
    try:
        return urlsplit(uri)
    except ValueError:
        return None


def _request_id(data) -> int | str | None:
    """The id of a message that awaits an answer: LSP's ids are integers or strings (a bool is neither)."""
    msg_id = data.get("id") if isinstance(data, dict) else None
    return msg_id if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool) else None


def _awaits_answer(message) -> bool:
    return getattr(message, "method", None) is not None and getattr(message, "id", None) is not None


class _Refused:
    """A message pygls could not read (its params do not validate), kept instead of raised: pygls answered
    what it raised from with a window/showMessage pop-up, and a batch lost every message after it."""

    jsonrpc = "2.0"

    def __init__(self, data: dict, error: JsonRpcException) -> None:
        self.id = _request_id(data)
        self.method = data.get("method")
        self.error = error
        params = data.get("params")
        document = params.get("textDocument") if isinstance(params, dict) else None
        self.uri = document.get("uri") if isinstance(document, dict) else None  # the document it was about


class _NotificationWithId:
    """A notification's method sent with an id: a request, for JSON-RPC, that its client awaits the answer to."""

    jsonrpc = "2.0"

    def __init__(self, message, msg_id: int | str) -> None:
        self.message = message
        self.id = msg_id
        self.method = message.method


class _Protocol(LanguageServerProtocol):
    """pygls left unanswered a request whose params do not validate, a notification sent with an id and a batch,
    and showed a pop-up for what it could not read: each is answered or logged here."""

    def structure_message(self, data):
        try:
            message = super().structure_message(data)
        except JsonRpcException as exc:
            return _Refused(data, exc)
        msg_id = _request_id(data) if "jsonrpc" in data and "method" in data else None
        if msg_id is not None and not hasattr(message, "id"):  # structured as a notification
            return _NotificationWithId(message, msg_id)
        return message

    def handle_message(self, message):
        """pygls drops a request after shutdown unanswered, and a client awaiting it waits for ever: the
        protocol says it is an InvalidRequest error. Nothing that awaits an answer goes without one."""
        if isinstance(message, list):
            return self._refuse_batch(message)
        if not hasattr(message, "jsonrpc"):  # a JSON value that is no message (pygls raised, and showed a pop-up)
            return self._send_data(_invalid_answer(_request_id(message), "not a JSON-RPC 2.0 message"))
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and getattr(message, "id", None) is not None:
            self._send_response(message.id, error=_invalid("the server is shut down"))
            return
        if isinstance(message, _Refused):
            return self._refuse(message)
        if isinstance(message, _NotificationWithId):
            return self._notify_with_id(message)
        super().handle_message(message)

    def _refuse(self, message: _Refused) -> None:
        """A request is answered with the error; a notification (a malformed didChange) is logged, never
        shown: it is the client's fault, not something the user can act on, and it may come with each keystroke."""
        if message.id is not None and message.method is not None:
            self._send_response(message.id, error=message.error.to_response_error())
            return
        self._server.log_once(f"ignored a malformed {message.method or 'message'}: {message.error}")
        if message.method == types.TEXT_DOCUMENT_DID_CHANGE and isinstance(message.uri, str):
            self._server.out_of_step(message.uri)

    def _notify_with_id(self, message: _NotificationWithId) -> None:
        """Handled as the notification it is and answered with a null result: the client sent its state (an
        opened buffer, a change) and awaits an answer, and an error would say it was not taken while it was.
        The answer goes first, so that even exit (which ends the server) is answered."""
        self._send_response(message.id, result=None)
        super().handle_message(message.message)

    def _refuse_batch(self, batch: list) -> None:
        """LSP has no batches: each request in one is answered InvalidRequest under its own id, in one array as
        JSON-RPC 2.0 answers a batch, so that no client call waits for ever; with none, one error with a null id.
        Nothing in the batch is run: half a batch run would be worse than none."""
        why = "a batch: the language server protocol has none"
        self._send_data([_invalid_answer(m.id, why) for m in batch if _awaits_answer(m)] or _invalid_answer(None, why))

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        """pygls keeps the future of a generator's (or a coroutine's) handler under its message's id, for a cancel
        to find, and forgets it when it answers a request, never for a notification: each didOpen, didChange and
        didClose (generators here) left a future behind, 10,000 of them after 5,000 buffers opened and closed.
        It is forgotten once done, whatever the message."""
        def done(future):
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)

    def _send_response(self, msg_id, result=None, error=None):
        """pygls answers a request whose handler raised with the traceback in the error's data: the editor showed
        it to the user. It is logged (--log-level debug) and the answer says what was raised, no more."""
        if error is not None and isinstance(error.data, dict) and "traceback" in error.data:
            shown = printable(error.message)
            log.debug("request %r failed: %s\n%s", msg_id, shown, printable_lines("".join(error.data["traceback"])))
            error = types.ResponseError(code=error.code, message=error.message)
        super()._send_response(msg_id, result=result, error=error)

    exit_code = 0  # the end of input without exit is a client gone, not an error

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args):
        """pygls exits 1 without a shutdown first, as the protocol says, but start_io swallows the SystemExit."""
        self.exit_code = 0 if self._shutdown else 1
        yield from super().lsp_exit(*args)

    # The buffers are the server's own (DlintServer.buffers, under document_key), kept by its didOpen, didChange
    # and didClose: pygls keeps them under the URI unescaped whole, one buffer for `c%23` and `c#`, two files.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield from self._handled(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield from self._handled(types.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield from self._handled(types.TEXT_DOCUMENT_DID_CHANGE, params)

    def _handled(self, method: str, params):
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None


class DlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "dlint", __version__, protocol_cls=_Protocol, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.configs = Configs()
        # Each buffer's state is kept under its document_key; published on the URI the client opened it by.
        self.uris: dict[str, str] = {}
        self.buffers: dict[str, Buffer] = {}
        self.linted: dict[str, Linted] = {}
        self.scripts: dict[str, ScriptCache] = {}  # per open buffer
        self.language: dict[str, str] = {}
        self.pending: dict[str, asyncio.Handle] = {}
        self.lint_seconds: dict[str, float] = {}  # how long each buffer's last lint took
        self.input: BoundedInput | None = None  # the client's stream: told when more input is waiting
        self.config_errors: set[str] = set()  # paths of the configs showing a diagnostic
        self.logged: set[str] = set()  # what log_once has said

    def log_once(self, said: str) -> None:
        """A client's fault or the server's, said once in the editor's log (window/logMessage): pygls showed each
        in a pop-up (window/showMessage), again for every malformed didChange, which may come with each keystroke.
        Escaped and shortened here, for every caller: what a client sent is in it."""
        said = printable(shortened(said, width=MAX_SAID))
        if said not in self.logged and len(self.logged) < MAX_LOGGED:  # a client making up methods: bounded
            self.logged.add(said)
            log.warning("%s", said)
            self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"dlint: {said}"))

    def report_server_error(self, error: Exception, source) -> None:
        """A notification's handler that raised, or an answer that could not be sent: logged, never a pop-up."""
        if source is not FeatureRequestError:  # a request's error is in its answer
            self.log_once(f"{type(error).__name__}: {error}")

    @property
    def encoding(self) -> str:
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def settings(self, path: str) -> Settings:
        """The file's settings; a broken config is shown on itself and the file is linted with defaults.
        A path longer than any there is names no directory to search: each of its thousands of parents
        would be looked up and remembered (a 40 KB URI took 1.2 GB). A path with a NUL (`%00`) names no
        file either: looking up its directory raised, and the buffer got no diagnostics. Nor does one with a
        character no file name can have (a lone surrogate, which JSON can carry): its lint failed, an internal error."""
        if len(path) > MAX_PATH or "\0" in path or not _nameable(path):
            return _defaults(path)
        try:
            settings = self.configs.settings_for(path)
        except ConfigError as exc:
            cfg = exc.path if isinstance(exc, ConfigFileError) else None  # the file `dlint check` says is broken
            if cfg is not None and cfg not in self.config_errors:
                self.config_errors.add(cfg)
                said = printable(str(exc))  # as `dlint check` says it: a terminal editor writes the message raw
                self.publish_on_config(cfg, [diagnostics.file_error(said)])
                self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"dlint: {said}"))
            return _defaults(path)
        if self.config_errors:
            self.clear_config_errors(Configs.read_without_error(path, settings.config.path))
        return settings

    def clear_config_errors(self, fine: set[str]) -> None:
        """Clears the error shown on each config in `fine`, just read without one, and on any config since
        deleted. Only those: another directory's config may still be broken (clearing them all, its
        error went and came back, message and all, each time the user switched to a file under it)."""
        for cfg in [c for c in self.config_errors if c in fine or not os.path.lexists(c)]:
            self.config_errors.discard(cfg)
            self.publish_on_config(cfg, [])

    def publish_on_config(self, cfg: str, shown: list[types.Diagnostic]) -> None:
        """On the config's URI, escaped: `file://` + a path under `c#` put its error on a file `c`."""
        uri = Path(cfg).as_uri()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=shown))

    def out_of_step(self, uri: str) -> None:
        """A change to the buffer was lost (its params did not validate): the server's copy is no longer the
        editor's, and its findings, hovers and fixes would be for text the user does not have, while nothing
        but a log line said so. Until the client sends the whole text again (a reopen, a full change), the
        buffer is not linted and one error on its first line says why."""
        key = document_key(uri)
        buffer = self.buffers.get(key)
        if buffer is None or not buffer.in_step:
            return
        buffer.in_step = False
        if (handle := self.pending.pop(key, None)) is not None:
            handle.cancel()
        self.linted.pop(key, None)
        self.publish(self.uris[key], buffer.version, [diagnostics.file_error(
            "dlint's copy of this file is out of step with the editor's (the editor sent a change dlint could not "
            "read), so it is not linted: close and reopen the file")])

    def forget(self, key: str) -> str | None:
        """Drops all the server keeps of the buffer under `key`; the URI its diagnostics were published on."""
        if (handle := self.pending.pop(key, None)) is not None:
            handle.cancel()
        for kept in (self.buffers, self.linted, self.scripts, self.lint_seconds, self.language):
            kept.pop(key, None)
        return self.uris.pop(key, None)

    def lint(self, key: str) -> None:
        """Lints the buffer under `key` (a document_key) and publishes on the URI the client opened it by."""
        self.pending.pop(key, None)
        doc = self.buffers.get(key)
        uri = self.uris.get(key)
        if doc is None or uri is None or not doc.in_step:  # not open (a didSave of one never opened); stale
            return
        path = uri_path(uri)
        if _oversized(doc.text):  # as `dlint check` refuses the file: time and memory grow with it
            self.linted.pop(key, None)
            error = diagnostics.file_error(str(too_large(path, MAX_FILE_SIZE, "--max-file-size")))
            self.publish(uri, doc.version, [error])
            return
        started = time.monotonic()
        try:
            linted = lint_text(doc.text, path, self.settings(path), self.scripts.setdefault(key, ScriptCache()))
        except Exception as exc:  # noqa: BLE001 - one bad buffer must not stop the server
            log.debug("linting %s failed", printable(uri), exc_info=True)
            self.linted.pop(key, None)  # not the findings of an older text
            self.publish(uri, doc.version, [_lint_failed(exc)])
            return
        finally:
            self.lint_seconds[key] = time.monotonic() - started
        self.linted[key] = linted
        self.publish(uri, doc.version, diagnostics.diagnostics(linted, self.encoding))

    def publish(self, uri: str, version: int | None, shown: list[types.Diagnostic]) -> None:
        params = types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=shown)
        self.text_document_publish_diagnostics(params)

    def schedule(self, uri: str) -> None:
        """Lints the buffer `uri` names soon, whichever spelling of its URI the client used this time."""
        key = document_key(uri)
        if not wants(uri_path(uri), self.language.get(key)):
            return
        if key not in self.pending:  # a lint already pending reads the newest text when it runs
            loop = asyncio.get_running_loop()
            self.pending[key] = loop.call_soon(self._lint_when_quiet, key, loop.time())

    def _lint_when_quiet(self, key: str, since: float) -> None:
        """Lints `uri` once the client has sent nothing more, or MAX_QUIET_WAIT (or the last lint's time)
        after the first change not yet linted, however many more came since: during a long stream
        diagnostics still come, and at most half the server's time goes to linting."""
        loop = asyncio.get_running_loop()
        wait = max(MAX_QUIET_WAIT, self.lint_seconds.get(key, 0.0))
        if self.input is not None and self.input.waiting() and loop.time() - since < wait:
            self.pending[key] = loop.call_later(QUIET_POLL_SECONDS, self._lint_when_quiet, key, since)
            return
        self.lint(key)

    def flush(self) -> None:
        """Lints every document with a change not yet linted: the client is leaving (shutdown, or the
        end of its input, when pygls drops whatever the loop still had to run)."""
        for key in list(self.pending):
            self.pending.pop(key).cancel()
            self.lint(key)

    def shutdown(self) -> None:
        self.flush()
        super().shutdown()

    def current(self, uri: str) -> Linted | None:
        """The buffer's findings for its present text (linted now if a change is pending)."""
        key = document_key(uri)
        if key in self.pending:
            self.pending[key].cancel()
            self.lint(key)
        return self.linted.get(key)

    def offset(self, linted: Linted, position: types.Position) -> int:
        return client_offset(linted.text, linted.client_starts, position, self.encoding)

    def reconfigure(self) -> None:
        self.configs.reset()
        for key in list(self.linted):
            self.schedule(self.uris[key])


server = DlintServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DlintServer, params: types.DidOpenTextDocumentParams) -> None:
    """Opened again under another spelling of its URI: published on the new one, the old one's cleared. Opened
    again as a file dlint does not lint (`plaintext` now), its diagnostics are cleared and nothing is kept: its
    old text's findings stayed, and hovers and fixes answered from that text. A buffer dlint does not lint is
    not kept at all: a change to it lost put an out-of-step error on it that no change could clear."""
    uri = params.text_document.uri
    key = document_key(uri)
    wanted = wants(uri_path(uri), params.text_document.language_id)
    shown = ls.forget(key)
    if shown is not None and (shown != uri or not wanted):
        ls.publish(shown, None, [])
    if not wanted:
        return
    ls.uris[key] = uri
    ls.buffers[key] = Buffer(params.text_document.text, params.text_document.version)
    ls.language[key] = params.text_document.language_id
    ls.schedule(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DlintServer, params: types.DidChangeTextDocumentParams) -> None:
    """Each range applied by the protocol's lines (pygls applied it by str.splitlines's: after a form feed, U+0085
    or U+2028 an edit landed lines away from where the editor made it, and the buffer linted was not the editor's)."""
    key = document_key(params.text_document.uri)
    buffer = ls.buffers.get(key)
    if buffer is None:
        return
    if not buffer.in_step and not any(isinstance(c, types.TextDocumentContentChangeWholeDocument)
                                      for c in params.content_changes):
        return  # an edit to text the editor no longer has
    ls.buffers[key] = Buffer(apply_changes(buffer.text, params.content_changes, ls.encoding),
                             params.text_document.version)
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: DlintServer, params: types.DidSaveTextDocumentParams) -> None:
    if os.path.basename(uri_path(params.text_document.uri)) in CONFIG_NAMES:
        ls.reconfigure()
    ls.schedule(params.text_document.uri)


@server.feature(types.SHUTDOWN)
def on_shutdown(ls: DlintServer, params: None) -> None:
    ls.flush()  # before the answer: after it a client need not read diagnostics


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DlintServer, params: types.DidCloseTextDocumentParams) -> None:
    """Closed under any spelling of its URI, as pygls closes it: cleared on the one it was published on too."""
    uri = params.text_document.uri
    for shown in dict.fromkeys((ls.forget(document_key(uri)) or uri, uri)):
        ls.publish(shown, None, [])


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched(ls: DlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(os.path.basename(uri_path(c.uri)) in CONFIG_NAMES for c in params.changes):
        ls.reconfigure()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL]),
)
def code_action(ls: DlintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """A reversed range (a selection made backwards, sent end first) is read forwards, as a change's is."""
    uri = params.text_document.uri
    linted = ls.current(uri)
    if linted is None:
        return None
    start, end = sorted((ls.offset(linted, params.range.start), ls.offset(linted, params.range.end)))
    return actions.code_actions(linted, uri, uri_path(uri), start, end, params.context.only, ls.encoding)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: DlintServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    linted = ls.current(uri)
    if linted is None:
        return None
    return hover.hover(linted, ls.offset(linted, params.position))


def serve(tcp: str | None = None, log_level: str = "warning") -> None:
    """Runs until the client sends exit; tracebacks reach stderr only under --log-level debug."""
    level = getattr(logging, log_level.upper(), logging.WARNING)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("dlint lsp: %(levelname)s %(name)s: %(message)s"))
    # Below debug only dlint's own records are shown: pygls and asyncio's futures log a client
    # that went away (a broken pipe) as an error with a traceback.
    if level > logging.DEBUG:
        handler.addFilter(logging.Filter("dlint"))
    logging.basicConfig(level=level, handlers=[handler])
    if tcp is None:
        _serve_stream(sys.stdin.buffer, sys.stdout.buffer)
    host, _, port = tcp.rpartition(":")
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"  # `[::1]:2087` or `::1:2087`
    try:
        # The address's own family: create_server alone is IPv4, and `::1` was refused.
        family = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((host, int(port)), family=family)
    except OSError as exc:  # the address in use, or not this host's: it was a traceback
        log.error("--tcp %r: %s", tcp, exc.strerror or exc)
        sys.exit(exitcodes.USAGE)
    with listener:  # one client, as pygls's served
        connection, _address = listener.accept()
    with connection, connection.makefile("rb") as reader, connection.makefile("wb") as writer:
        _serve_stream(reader, writer)


def _serve_stream(reader, writer) -> None:
    """stdio or a TCP client's connection, read through the one BoundedInput: pygls's own TCP reader had no
    bound (a length of 10**11 was held in memory as it came, a header line without end raised)."""
    server.input = BoundedInput(reader)
    server.start_io(server.input, writer)
    sys.exit(server.protocol.exit_code)
