"""When the language server lints during a stream of edits: the scheduling, with the lint itself replaced."""

from __future__ import annotations

import asyncio

import pytest

from dlint.lsp.server import MAX_QUIET_WAIT, DlintServer

pytestmark = pytest.mark.asyncio(loop_scope="function")
URI = "file:///src/Dockerfile"


class Input:
    """The client's stream, as `waiting` sees it: more input is here or not."""

    def __init__(self) -> None:
        self.more = True

    def waiting(self) -> bool:
        return self.more


def server(lint_seconds: float) -> tuple[DlintServer, Input, list[str]]:
    ls, stream, linted = DlintServer(), Input(), []
    ls.input = stream
    ls.lint = lambda uri: (ls.pending.pop(uri, None), linted.append(uri))
    ls.lint_seconds[URI] = lint_seconds
    return ls, stream, linted


async def test_a_slow_document_is_not_linted_again_while_edits_keep_coming():
    """A document whose last lint took 3 s was linted again every 0.5 s of a stream of edits (1,000 edits to a
    960 KB buffer: 45 lints, 662 s); it now waits as long as its last lint took, so edits are read half the time."""
    ls, stream, linted = server(lint_seconds=3.0)
    ls.schedule(URI)
    await asyncio.sleep(MAX_QUIET_WAIT * 2)
    assert linted == []
    stream.more = False  # the client goes quiet: linted at once
    await asyncio.sleep(0.1)
    assert linted == [URI]


async def test_a_fast_document_still_gets_diagnostics_during_a_long_stream():
    ls, _stream, linted = server(lint_seconds=0.01)
    ls.schedule(URI)
    await asyncio.sleep(MAX_QUIET_WAIT * 3)
    assert linted == [URI]
