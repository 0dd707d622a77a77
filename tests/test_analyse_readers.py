"""The build-output readers and the progress display, on recorded Engine 20.10 output (no engine)."""

from __future__ import annotations

import io

import pytest

from dlint.analyse.buildkitlog import ProgressReader
from dlint.analyse.classic import StreamReader, UnreadableStream
from dlint.analyse.progress import Progress
from dlint.parsing.dockerfile import parse

TWO_STAGES = """\
ARG BASE=dlint-test/busybox:latest
FROM ${BASE} AS build
RUN dd if=/dev/zero of=/artifact bs=1000 count=200

FROM ${BASE}
ENV APP_HOME=/srv
WORKDIR /srv
COPY app.txt /srv/app.txt
COPY --from=build /artifact /srv/artifact
"""

# `DOCKER_BUILDKIT=1 docker build --progress=plain`, trimmed: out of file order, and both stages
# FROM the same image, which BuildKit shows once, under the first stage's name.
BUILDKIT_OUTPUT = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#5 [stage-1 2/4] WORKDIR /srv
#5 CACHED
#4 [build 1/2] FROM docker.io/dlint-test/busybox:latest
#4 CACHED
#8 [stage-1 3/4] COPY app.txt /srv/app.txt
#8 DONE 0.1s
#9 [build 2/2] RUN dd if=/dev/zero of=/artifact bs=1000 count=200
#9 0.372 200+0 records in
#9 DONE 0.4s
#10 [stage-1 4/4] COPY --from=build /artifact /srv/artifact
#10 ERROR: failed to compute cache key: "/artifact" not found: not found
------
 > [stage-1 4/4] COPY --from=build /artifact /srv/artifact:
------
failed to compute cache key: "/artifact" not found: not found
"""


class Recorder:
    """Stands in for the engine Tracker: what the reader says the build created."""

    def __init__(self) -> None:
        self.images: list[str] = []
        self.containers: list[str] = []

    def image(self, image_id: str) -> None:
        self.images.append(image_id)

    def container(self, container_id: str) -> None:
        self.containers.append(container_id)


def test_buildkit_steps_are_placed_by_stage_and_position_in_file_order():
    df = parse(TWO_STAGES, "Dockerfile")
    reader = ProgressReader(df, None, Progress(io.StringIO(), live=False))
    for line in BUILDKIT_OUTPUT.splitlines():
        reader.line(line)
    outcome = reader.outcome(1)
    got = [(s.line, s.stage, s.keyword, s.cached, s.failed) for s in outcome.steps]
    assert got == [
        (2, "build", "FROM", True, False),
        (3, "build", "RUN", False, False),
        (5, "1", "FROM", True, False),  # the shared FROM vertex, counted in stage-1's "i/4"
        (7, "1", "WORKDIR", True, False),
        (8, "1", "COPY", False, False),
        (9, "1", "COPY", False, True),
    ]
    assert outcome.steps[1].seconds == 0.4
    assert outcome.error == 'failed to compute cache key: "/artifact" not found: not found'


def test_classic_stream_split_headers_cache_hits_and_failure():
    df = parse("FROM dlint-test/busybox:latest\nRUN echo one > /one\nRUN echo oops; exit 3\n", "Dockerfile")
    chunks = [
        {"stream": "Step 1/3 : FROM dlint-test/busybox:latest"}, {"stream": "\n"},
        {"stream": " ---> b9e8c25aa030\n"},
        {"stream": "Step 2/3 : RUN echo one > /one"}, {"stream": "\n"},
        {"stream": " ---> Using cache\n ---> 22c4cf0d88d9\n"},
        {"stream": "Step 3/3 : RUN echo oops; exit 3"}, {"stream": "\n"},
        {"stream": " ---> Running in f7c265327449\n"}, {"stream": "oo"}, {"stream": "ps\n"},
        {"errorDetail": {"code": 3, "message": "The command '/bin/sh -c echo oops; exit 3' returned a non-zero code: 3"},
         "error": "The command '/bin/sh -c echo oops; exit 3' returned a non-zero code: 3"},
    ]
    recorder = Recorder()
    out = io.StringIO()
    outcome = StreamReader(df, Progress(out, live=False), recorder).read(iter(chunks))
    assert [(s.index, s.line, s.cached, s.failed, s.image_id) for s in outcome.steps] == [
        (1, 1, True, False, "b9e8c25aa030"),
        (2, 2, True, False, "22c4cf0d88d9"),
        (3, 3, False, True, None),
    ]
    assert outcome.error.endswith("returned a non-zero code: 3") and outcome.image_id is None
    assert outcome.log_tail == ["oops"]
    assert recorder.containers == ["f7c265327449"] and recorder.images == ["22c4cf0d88d9"]
    assert out.getvalue().splitlines()[-2:] == ["[3/3] line 3: RUN echo oops; exit 3", "[3/3] FAILED 0.0s"]


def test_live_progress_rewrites_one_line_and_clears_it():
    df = parse("FROM scratch\nCOPY a /a\n", "Dockerfile")
    out = io.StringIO()
    progress = Progress(out, live=True)
    reader = StreamReader(df, progress, Recorder())
    reader.read(iter([{"stream": "Step 1/2 : FROM scratch\n"}, {"stream": "Step 2/2 : COPY a /a\n ---> 0123456789ab\n"}]))
    progress.close()
    text = out.getvalue()
    assert "\n" not in text and "\r[2/2] line 2: COPY a /a" in text
    assert text.endswith("\r")  # the line is wiped before the report is printed


def test_podman_stream_gives_the_same_steps_and_cache_states():
    """Podman's compatible API, as `podman system service` 4.3 streamed it (a warm rebuild, then a cold one)."""
    df = parse("FROM dlint-test/busybox:latest\nRUN echo hi > /x\nENV A=1\n", "Dockerfile")
    warm = [{"stream": "STEP 1/3: FROM dlint-test/busybox:latest\n"}, {"stream": "STEP 2/3: RUN echo hi > /x\n"},
            {"stream": "--> Using cache 955c21e55383bf76bbddb99ef24bba3b84dde5404a2c21f699ee9875317602ae\n"},
            {"stream": "--> 955c21e5538\n"}, {"stream": "STEP 3/3: ENV A=1\n"},
            {"stream": "--> Using cache c34434201b3ee5525e748c4843a8f4bd5200963c7ad93f54a2f176ca56c6e1a1\n"},
            {"stream": "--> c34434201b3\n"}, {"aux": {"ID": "sha256:c34434201b3ee5525e748c4843a8f4bd5200963c7ad93f54a2f176ca56c6e1a1"}}]
    cold = [warm[0], warm[1], {"stream": "--> 955c21e5538\n"}, warm[4], {"stream": "COMMIT\n"},
            {"stream": "--> c34434201b3\n"}, warm[-1]]
    for chunks, cached in ((warm, True), (cold, False)):
        outcome = StreamReader(df, Progress(io.StringIO(), live=False), Recorder()).read(iter(chunks))
        assert [(s.index, s.line, s.cached) for s in outcome.steps] == [(1, 1, True), (2, 2, cached), (3, 3, cached)]
        assert [s.image_id for s in outcome.steps[1:]] == ["955c21e5538", "c34434201b3"]
        assert outcome.image_id.endswith("c34434201b3ee5525e748c4843a8f4bd5200963c7ad93f54a2f176ca56c6e1a1")


def test_a_stream_with_no_step_line_is_an_error_not_an_empty_analysis():
    """A stream in a form dlint does not read must not come out as no steps, which would pass every gate."""
    df = parse("FROM dlint-test/busybox:latest\nRUN echo one > /one\n", "Dockerfile")
    chunks = [{"stream": "[1/2] FROM dlint-test/busybox:latest\x1b[2J\n"}, {"aux": {"ID": "sha256:" + "ab" * 32}}]
    with pytest.raises(UnreadableStream) as raised:
        StreamReader(df, Progress(io.StringIO(), live=False), Recorder()).read(iter(chunks))
    assert str(raised.value).startswith("cannot read the engine's build stream: no `Step N/M : ` or `STEP N/M: ` "
                                        "line (it began '[1/2] FROM dlint-test/busybox:latest\\x1b[2J')")
    with pytest.raises(UnreadableStream, match=r"\(it was empty\)"):
        StreamReader(df, Progress(io.StringIO(), live=False), Recorder()).read(iter([]))


@pytest.mark.parametrize("live", [False, True])
def test_progress_shows_a_steps_words_escaped(live):
    """A Dockerfile's `RUN echo <ESC>]0;x<BEL>` or a build log's step `##[add-mask]HIT` went raw to stderr:
    an escape sequence to the terminal, a command to GitHub's runner (HIT masked in the whole log)."""
    df = parse("FROM busybox\nRUN echo \x1b]0;pwned\x07 ##[add-mask]HIT\n", "Dockerfile")
    out = io.StringIO()
    progress = Progress(out, live=live)
    from dlint.analyse.steps import step_for, unplaced_step

    for step in (step_for(df, df.instructions[1]), unplaced_step("0", "RUN \x1b[2J ##[stop-commands]t")):
        progress.step_started(step, "2/2")
        progress.step_finished(step)
    progress.close()
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "##[" not in text
    if not live:
        assert "[2/2] line 2: RUN echo \\x1b]0;pwned\\x07 #\\x23[add-mask]HIT\n" in text
        assert "[2/2] RUN \\x1b[2J #\\x23[stop-commands]t\n" in text
