"""`dlint lsp` end to end: pytest-lsp's client over stdio against the real server process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from dlint.lint.engine import Selection, lint
from dlint.parsing.dockerfile import parse

BAD = (Path(__file__).parent.parent / "fixtures" / "check" / "bad.Dockerfile").read_text()
pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dlint", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


async def open_doc(client: LanguageClient, path: Path, text: str, language: str = "dockerfile") -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    await wait_diagnostics(client, uri)
    return uri


async def wait_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    client.diagnostics.pop(uri, None)
    async with asyncio.timeout(20):
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[uri]


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """ASCII fixtures: UTF-16 positions are character columns."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def off(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(lines) else len(text)

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end) :]
    return text


def codes_in(text: str) -> set[str]:
    findings, _ = lint(parse(text, "Dockerfile"), Selection.default())
    return {f.code for f in findings if not f.suppressed}


async def test_diagnostics_for_a_fixture_have_exact_spans(client, tmp_path):
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    got = {(d.code, d.range.start.line, d.range.start.character, d.range.end.character) for d in client.diagnostics[uri]}
    # `dlint check` says 3:58 for DLT003 (1-based); LSP is 0-based.
    got = {(c, line, col) for c, line, col, _end in got}
    # `dlint check` says 2:5, 3:48, 3:53, 3:58 (1-based); LSP is 0-based.
    assert got == {("DL3009", 1, 4), ("DLT001", 1, 4), ("DL3008", 2, 47), ("DLT002", 2, 52), ("DLT003", 2, 57)}
    d = next(d for d in client.diagnostics[uri] if d.code == "DLT003")
    assert (d.range.end.line, d.range.end.character) == (2, 61)  # `curl`, the repeat
    assert d.source == "dlint" and d.severity == types.DiagnosticSeverity.Warning
    assert next(d for d in client.diagnostics[uri] if d.code == "DLT002").severity == types.DiagnosticSeverity.Hint


async def test_a_change_that_removes_a_finding(client, tmp_path):
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    change(client, uri, 2, BAD.replace(" curl \\", " \\"))
    codes = {d.code for d in await wait_diagnostics(client, uri)}
    assert "DLT003" not in codes and "DL3008" in codes


async def test_other_names_and_languages(client, tmp_path):
    """`api.Dockerfile` is linted whatever the language id; `notes.txt` as plaintext is not."""
    uri = await open_doc(client, tmp_path / "api.Dockerfile", BAD, language="plaintext")
    assert client.diagnostics[uri]
    other = (tmp_path / "notes.txt").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=other, language_id="plaintext", version=1, text=BAD)))
    await open_doc(client, tmp_path / "x" / "Dockerfile", BAD)  # a later publish: the server has read notes.txt
    assert other not in client.diagnostics


async def test_config_discovery_from_a_nested_directory_and_reread(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dlint]\nignore = ["DLT003"]\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    uri = await open_doc(client, nested / "Dockerfile", BAD)
    assert "DLT003" not in {d.code for d in client.diagnostics[uri]}
    (tmp_path / "pyproject.toml").write_text('[tool.dlint]\nignore = ["DL3008"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)])
    )
    codes = {d.code for d in await wait_diagnostics(client, uri)}
    assert "DLT003" in codes and "DL3008" not in codes


async def test_a_config_edited_outside_the_editor_is_reread_on_the_next_change(client, tmp_path):
    """No watched-files notification: the config's mtime, checked on each lint, is enough."""
    import os

    cfg = tmp_path / ".dlint.toml"
    cfg.write_text('ignore = ["DLT003"]\n')
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    assert "DLT003" not in {d.code for d in client.diagnostics[uri]}
    cfg.write_text('ignore = ["DL3008"]\n')
    stat = cfg.stat()
    os.utime(cfg, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # a coarse-mtime file system
    change(client, uri, 2, BAD + "\n")
    codes = {d.code for d in await wait_diagnostics(client, uri)}
    assert "DLT003" in codes and "DL3008" not in codes


async def test_a_broken_config_is_one_diagnostic_and_a_message(client, tmp_path):
    cfg = tmp_path / ".dlint.toml"
    cfg.write_text("ignore = [\n")
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    assert {d.code for d in client.diagnostics[uri]} >= {"DLT003"}  # linted with defaults meanwhile
    shown = client.diagnostics[cfg.as_uri()]
    assert len(shown) == 1 and "not valid TOML" in shown[0].message
    assert any("not valid TOML" in m.message for m in client.messages)


async def test_a_broken_config_in_a_directory_whose_name_needs_escaping_is_shown_on_it(client, tmp_path):
    """The config's URI was `file://` + its path: under `c#` the editor read `#/.dlint.toml` as a
    fragment and put the error on a file `c`; a space or `%` was not escaped either."""
    folder = tmp_path / "c# 100%"
    folder.mkdir()
    cfg = folder / ".dlint.toml"
    cfg.write_text("ignore = [\n")
    await open_doc(client, folder / "Dockerfile", BAD)
    assert len(client.diagnostics[cfg.as_uri()]) == 1


async def test_a_config_error_shows_control_characters_escaped_as_check_does(client, tmp_path):
    """An unknown key of ESC sequences was shown raw in the message (which a terminal editor writes to its
    screen: a title set, the screen cleared); `dlint check` shows it escaped, and so does the server now."""
    cfg = tmp_path / ".dlint.toml"
    cfg.write_text('"\\u001b]0;pwned\\u0007\\u001b[2J" = 1\n')
    await open_doc(client, tmp_path / "Dockerfile", BAD)
    (shown,) = client.diagnostics[cfg.as_uri()]
    (said,) = [m.message for m in client.messages if "unknown key" in m.message]
    for text in (shown.message, said):
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in text and text.isprintable()


async def test_a_fine_config_elsewhere_does_not_clear_a_broken_one(client, tmp_path):
    """Linting a file under a good config cleared every config error shown: the broken one's diagnostic
    went, and came back with its message again on the next edit under it, on every switch between them."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    broken = tmp_path / "a" / ".dlint.toml"
    broken.write_text("ignore = [\n")
    (tmp_path / "b" / ".dlint.toml").write_text('ignore = ["DLT003"]\n')
    a = await open_doc(client, tmp_path / "a" / "Dockerfile", BAD)
    b = await open_doc(client, tmp_path / "b" / "Dockerfile", BAD)
    change(client, a, 2, BAD + "\n")
    await wait_diagnostics(client, a)
    change(client, b, 2, BAD + "\n")
    await wait_diagnostics(client, b)
    assert len(client.diagnostics[broken.as_uri()]) == 1
    assert sum("not valid TOML" in m.message for m in client.messages) == 1
    broken.unlink()
    change(client, a, 3, BAD)
    await wait_diagnostics(client, a)
    assert not client.diagnostics[broken.as_uri()]  # gone with the file


async def actions_for(client, uri, code):
    d = next(d for d in client.diagnostics[uri] if d.code == code)
    return await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), d.range, types.CodeActionContext([d]))
    )


@pytest.mark.parametrize("code", ["DLT001", "DLT002", "DLT003"])
async def test_each_fix_applied_lints_clean_for_its_code(client, tmp_path, code):
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    got = await actions_for(client, uri, code)
    fix = next(a for a in got if a.title.startswith(f"Fix {code}"))
    assert fix.kind == types.CodeActionKind.QuickFix
    fixed = apply(BAD, fix.edit.changes[uri])
    assert code in codes_in(BAD) and code not in codes_in(fixed)


async def test_a_quick_fix_in_a_crlf_file_writes_crlf_as_fix_does(client, tmp_path):
    text = "FROM debian:12\r\nRUN apt-get update \\\r\n && apt-get install -y --no-install-recommends curl=1\r\n"
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    fix = next(a for a in await actions_for(client, uri, "DL3009") if a.title.startswith("Fix DL3009"))
    inserted = "".join(e.new_text for e in fix.edit.changes[uri])
    assert "\n" in inserted and inserted.count("\n") == inserted.count("\r\n")  # was a bare LF in a CRLF file
    assert "DL3009" not in codes_in(apply(text, fix.edit.changes[uri]))


async def test_an_ignore_pragma_in_a_crlf_file_ends_in_crlf(client, tmp_path):
    """The pragma line ended in a bare LF: one LF line in a CRLF file, which --fix never writes."""
    text = "FROM debian:12\r\nRUN apt-get update\r\n"
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    ignore = next(a for a in await actions_for(client, uri, "DL3009") if a.title.startswith("Ignore"))
    ignored = apply(text, ignore.edit.changes[uri])
    assert ignored == "FROM debian:12\r\n# dlint ignore=DL3009\r\nRUN apt-get update\r\n"


async def test_a_reversed_range_gets_the_actions_of_the_range_read_forwards(client, tmp_path):
    """A selection made backwards, sent end first (as some clients do): no finding was both before its end and
    after its start, and only fix-all was offered."""
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    forwards = types.Range(types.Position(0, 0), types.Position(3, 0))
    titles = []
    for r in (forwards, types.Range(forwards.end, forwards.start)):
        got = await client.text_document_code_action_async(
            types.CodeActionParams(types.TextDocumentIdentifier(uri), r, types.CodeActionContext([])))
        titles.append([a.title for a in got])
    assert len(titles[0]) > 1 and titles[1] == titles[0]


async def test_no_quick_fix_where_fix_would_refuse_the_file(client, tmp_path):
    """--fix applies nothing to a file BuildKit rejects: an editor's quick fix must not either."""
    text = "FROM debian:12\nFOO bar\nADD a.txt /a.txt\n"
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    titles = [a.title for a in await actions_for(client, uri, "DL3020")]
    assert titles == ["Ignore DL3020 for this instruction"]
    with_fix = await open_doc(client, tmp_path / "b" / "Dockerfile", "FROM debian:12\nADD a.txt /a.txt\n")
    assert any(t.startswith("Fix DL3020") for t in [a.title for a in await actions_for(client, with_fix, "DL3020")])


@pytest.mark.parametrize("code", ["DLT001", "DL3008", "DLT003"])  # DLT001: merged into the DL3009 pragma
async def test_ignore_action_adds_or_merges_a_pragma(client, tmp_path, code):
    text = "FROM debian:bookworm-slim\n# dlint ignore=DL3009\nRUN apt-get update\n" + BAD.split("\n", 2)[2]
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    got = await actions_for(client, uri, code)
    ignore = next(a for a in got if a.title == f"Ignore {code} for this instruction")
    ignored = apply(text, ignore.edit.changes[uri])
    assert code in codes_in(text) and code not in codes_in(ignored)
    assert "DL3009" not in {d.code for d in client.diagnostics[uri]}  # suppressed: not published
    if code == "DLT001":
        assert "# dlint ignore=DL3009,DLT001\n" in ignored and ignored.count("# dlint") == 1
    else:
        assert ignored.count("# dlint") == 2 and f"# dlint ignore={code}\nRUN apt-get install" in ignored


async def test_fix_all_safe(client, tmp_path):
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    got = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext([], only=["source.fixAll"]),
        )
    )
    assert [a.kind for a in got] == ["source.fixAll.dlint"]
    fixed = apply(BAD, got[0].edit.changes[uri])
    assert not codes_in(fixed) & {"DLT001", "DLT002", "DLT003"}
    assert not (tmp_path / "Dockerfile").exists()  # nothing written by the server


async def test_hover_on_a_pragma_code_and_on_a_diagnostic(client, tmp_path):
    text = "FROM debian:bookworm-slim\n# dlint ignore=DL3008\n" + BAD.split("\n", 1)[1]
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    on_pragma = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(1, 17))
    )
    assert on_pragma.contents.value.startswith("**DL3008**") and "pinned" in on_pragma.contents.value.lower()
    from dlint.lint.registry import all_rules

    assert all_rules()["DL3008"].section("Why")[:40] in on_pragma.contents.value
    d = next(d for d in client.diagnostics[uri] if d.code == "DLT003")
    on_diag = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), d.range.start))
    assert "**DLT003**" in on_diag.contents.value


async def test_big_nul_and_many_changes_keep_the_server_answering(client, tmp_path):
    uri = await open_doc(client, tmp_path / "Dockerfile", BAD)
    big = BAD + "RUN echo " + "x" * 900_000 + "\n"  # just under the 1 MB --max-file-size
    change(client, uri, 2, big)
    assert {d.code for d in await wait_diagnostics(client, uri)} >= {"DLT003"}
    change(client, uri, 3, BAD.replace("wget", "wg\x00et"))
    await wait_diagnostics(client, uri)
    for version in range(4, 1004):
        change(client, uri, version, BAD if version % 2 else BAD.replace(" curl \\", " \\"))
    await wait_diagnostics(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0)))
    assert hover is None  # answered, for the newest text
    assert "DLT003" in {d.code for d in client.diagnostics[uri]}  # version 1003 is BAD itself


async def test_lone_surrogates_in_a_buffer_keep_positions_and_the_server(client, tmp_path):
    """JSON can carry a lone surrogate (a file on disk cannot); read as U+FFFD, one UTF-16 unit
    like the surrogate itself. It used to crash tree-sitter (a long one) or the position code."""
    text = "FROM debian:12\nRUN echo \udcff\ud83d && apt-get install -y curl\n"
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    got = {(d.code, d.range.start.line, d.range.start.character) for d in client.diagnostics[uri]}
    assert ("DL3008", 1, 34) in got  # `curl`: 34 UTF-16 units into the line, each surrogate one
    change(client, uri, 2, "FROM debian:12\nRUN echo " + "(\udcff\udcff) " * 1700 + "\n")
    assert "DL1000" in {d.code for d in await wait_diagnostics(client, uri)}
    change(client, uri, 3, BAD)
    assert "DLT003" in {d.code for d in await wait_diagnostics(client, uri)}


def edit(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangePartial(types.Range(types.Position(*start), types.Position(*end)), text)],
        )
    )


async def test_a_lone_cr_ends_a_line_for_the_editor_so_positions_count_it(client, tmp_path):
    """The protocol ends a line at a lone \\r (dlint, like BuildKit, does not): the diagnostics and
    the quick fix of the RUN after one were a line early, on `b`, and fix-all ended inside the file."""
    text = "FROM debian:12\nRUN echo a\rb\nRUN apt-get update && apt-get install -y curl\n"
    uri = await open_doc(client, tmp_path / "Dockerfile", text)
    d = next(d for d in client.diagnostics[uri] if d.code == "DL3009")
    assert (d.range.start.line, d.range.start.character) == (3, 4)
    got = await actions_for(client, uri, "DL3009")
    (fix,) = [e for a in got if a.title.startswith("Fix DL3009") for e in a.edit.changes[uri]]
    assert (fix.range.start.line, fix.range.start.character) == (3, 45)
    whole = next(a for a in got if a.kind == "source.fixAll.dlint").edit.changes[uri][0]
    assert (whole.range.end.line, whole.range.end.character) == (4, 0)


@pytest.mark.parametrize("sep", ["\f", "\x85", "\u2028"])
async def test_an_edit_after_a_character_splitlines_ends_a_line_at_lands_where_the_editor_made_it(client, tmp_path, sep):
    """pygls applied a range by str.splitlines's lines: `RUN` -> `CMD` on line 2 replaced the `b`
    after the form feed instead, and the buffer linted was no longer the editor's."""
    uri = await open_doc(client, tmp_path / "Dockerfile", f"FROM debian:12\n# a{sep}b\nRUN echo hi\n")
    edit(client, uri, 2, (2, 0), (2, 3), "CMD")
    assert "DL3025" in {d.code for d in await wait_diagnostics(client, uri)}  # CMD echo hi, a shell-form CMD


async def test_an_edit_past_the_end_of_the_last_line_is_at_its_end(client, tmp_path):
    """The protocol reads a character past the line's end as its end; pygls put it one short."""
    uri = await open_doc(client, tmp_path / "Dockerfile", "FROM debia")
    edit(client, uri, 2, (0, 99), (0, 99), "n")
    assert any("`debian` has no tag" in d.message for d in await wait_diagnostics(client, uri))  # not `debina`


async def test_a_uri_with_a_nul_is_linted_with_the_defaults(client, tmp_path):
    """`%00` in a URI names no file: looking for its config raised, and the buffer got no diagnostics at all."""
    uri = (tmp_path / "Dockerfile").as_uri().replace("/Dockerfile", "/a%00b/Dockerfile")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="dockerfile", version=1, text="FROM debian\n")))
    assert [d.code for d in await wait_diagnostics(client, uri)] == ["DL3006"]


async def test_a_lint_looks_only_at_the_configs_above_its_own_buffer(tmp_path, monkeypatch):
    """Each lint looked at every config candidate seen for any buffer: opening 10,000 buffers, each in its
    own directory, took 383 s (38 ms a buffer, growing with each). A config edited is still seen."""
    from dlint.lsp import documents

    configs = documents.Configs()
    for i in range(300):
        (tmp_path / str(i)).mkdir()
        configs.settings_for(str(tmp_path / str(i) / "Dockerfile"))
    looked = []
    mtime = documents._mtime
    monkeypatch.setattr(documents, "_mtime", lambda p: looked.append(p) or mtime(p))
    configs.settings_for(str(tmp_path / "0" / "Dockerfile"))
    assert len(looked) == 2 * len(list(documents._upwards(str(tmp_path / "0"))))  # was 2 for each of the 300
    (tmp_path / "0" / ".dlint.toml").write_text('ignore = ["DL3006"]\n')
    assert "DL3006" not in configs.settings_for(str(tmp_path / "0" / "Dockerfile")).selection.codes


async def test_differently_escaped_uris_of_one_file_are_one_buffer_published_where_the_client_opened_it(
        client, tmp_path):
    """`a%20b` and `a b` are one document to pygls but were two to dlint: a change sent under the other spelling
    was published on it, a file the editor never opened (a second entry in its problems list), while the buffer
    open kept its old diagnostics. Each spelling now reaches the one buffer, published on the URI it was opened by."""
    folder = tmp_path / "a b"
    folder.mkdir()
    escaped = await open_doc(client, folder / "Dockerfile", BAD)
    plain = "file://" + str(folder / "Dockerfile")
    assert escaped != plain and "%20" in escaped
    change(client, plain, 2, "FROM debian\n")
    assert [d.code for d in await wait_diagnostics(client, escaped)] == ["DL3006"]
    assert plain not in client.diagnostics
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(plain),
                                                                     types.Position(0, 6)))
    assert hover is not None and "DL3006" in hover.contents.value  # the findings of the one buffer
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(plain)))
    assert not await wait_diagnostics(client, escaped)  # closed, and its diagnostics with it


async def test_a_config_error_is_shown_on_the_file_dlint_check_names_and_cleared_when_fixed(client, tmp_path):
    """A pyproject.toml without [tool.dlint] is no config (discovery goes on upwards), yet the error of the broken
    .dlint.toml above it was shown on it, and fixing the .dlint.toml never cleared that error."""
    broken = tmp_path / ".dlint.toml"
    broken.write_text("ignore = [\n")
    nested = tmp_path / "sub"
    nested.mkdir()
    (nested / "pyproject.toml").write_text('[project]\nname = "x"\n')
    uri = await open_doc(client, nested / "Dockerfile", BAD)
    (shown,) = client.diagnostics[broken.as_uri()]
    assert str(broken) in shown.message and "not valid TOML" in shown.message
    assert (nested / "pyproject.toml").as_uri() not in client.diagnostics
    broken.write_text('ignore = ["DLT003"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri=broken.as_uri(), type=types.FileChangeType.Changed)]))
    assert "DLT003" not in {d.code for d in await wait_diagnostics(client, uri)}
    assert not client.diagnostics[broken.as_uri()]


@pytest.mark.parametrize("piece", [None, 1, 2, 5])
async def test_many_changes_applied_at_once_give_the_text_of_applying_each_in_turn(monkeypatch, piece):
    """The linear apply_changes against the obvious one (the whole text re-split for each change), on random
    edits among every line end the protocol knows (a \\r then a \\n joined into one), surrogate pairs and ranges
    past the end, reversed ranges too, in each position encoding; with long lines' pieces made tiny too, so that
    these edits cut, join and cross pieces."""
    import random

    from dlint.lsp import documents
    from dlint.lsp.documents import apply_changes, client_line_starts, client_offset

    if piece is not None:
        monkeypatch.setattr(documents, "PIECE", piece)

    def one_by_one(text, changes, encoding):
        for c in changes:
            starts = client_line_starts(text)
            a, b = sorted(client_offset(text, starts, p, encoding) for p in (c.range.start, c.range.end))
            text = text[:a] + c.text + text[b:]
        return text

    rng = random.Random(7)
    pieces = ["a", "é", "😀", "\n", "\r", "\r\n", "\f", "\u2028", " "]
    for encoding in ("utf-16", "utf-8", "utf-32"):
        for _ in range(300):
            text = "".join(rng.choices(pieces, k=rng.randint(0, 12)))
            changes = [types.TextDocumentContentChangePartial(
                types.Range(types.Position(rng.randint(0, 5), rng.randint(0, 4)),
                            types.Position(rng.randint(0, 5), rng.randint(0, 4))),
                "".join(rng.choices(pieces, k=rng.randint(0, 3)))) for _ in range(rng.randint(1, 6))]
            if rng.random() < 0.1:
                changes.insert(rng.randint(0, len(changes)), types.TextDocumentContentChangeWholeDocument("x\r"))
            expected = text
            for c in changes:
                whole = isinstance(c, types.TextDocumentContentChangeWholeDocument)
                expected = c.text if whole else one_by_one(expected, [c], encoding)
            assert apply_changes(text, changes, encoding) == expected, (text, changes, encoding)


async def test_a_file_opened_again_under_another_spelling_of_its_uri_is_published_once(client, tmp_path):
    """Opened as `a%20b` and then as `a b`, it was linted twice and listed twice among the problems; the second
    open is the same buffer, now published on its URI and cleared on the first."""
    folder = tmp_path / "a b"
    folder.mkdir()
    escaped = await open_doc(client, folder / "Dockerfile", "FROM debian\n")
    plain = "file://" + str(folder / "Dockerfile")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=plain, language_id="dockerfile", version=1, text="FROM debian\n")))
    assert [d.code for d in await wait_diagnostics(client, plain)] == ["DL3006"]
    assert not client.diagnostics[escaped]


async def test_file_localhost_and_file_with_no_host_are_one_buffer(client, tmp_path):
    """`file://localhost/x` and `file:///x` name one file (RFC 8089) but were two buffers: a change sent under the
    other spelling found no buffer and was dropped, and the one open kept the diagnostics of its old text."""
    local = "file://localhost" + str(tmp_path / "Dockerfile")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=local, language_id="dockerfile", version=1, text=BAD)))
    assert "DLT003" in {d.code for d in await wait_diagnostics(client, local)}
    plain = (tmp_path / "Dockerfile").as_uri()
    change(client, plain, 2, "FROM debian\n")
    assert [d.code for d in await wait_diagnostics(client, local)] == ["DL3006"]
    assert plain not in client.diagnostics


async def test_an_escaped_hash_and_a_raw_one_are_two_files(client, tmp_path):
    """`c%23/Dockerfile` is a file under `c#`; a raw `c#/Dockerfile` is the file `c` with a fragment. Both were
    one buffer (the URI unescaped whole): opening the second cleared the first's diagnostics and took its text."""
    escaped = await open_doc(client, tmp_path / "c#" / "Dockerfile", "FROM debian\n")
    assert "%23" in escaped
    raw = "file://" + str(tmp_path / "c#" / "Dockerfile")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=raw, language_id="dockerfile", version=1, text=BAD)))
    assert "DLT003" in {d.code for d in await wait_diagnostics(client, raw)}
    assert [d.code for d in client.diagnostics[escaped]] == ["DL3006"]
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(escaped),
                                                                     types.Position(0, 6)))
    assert hover is not None and "DL3006" in hover.contents.value  # its own findings, not the other file's
