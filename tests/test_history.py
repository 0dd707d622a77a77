"""Tying layers to Dockerfile lines from the config's history, in each builder's own words.

The `created_by` strings below are what Docker 20.10 (classic and BuildKit)
and Podman 4.3 wrote for FIXTURE on this machine; tests/integration checks
them against real builds.
"""

from __future__ import annotations

import pytest

from dlint.analyse.history import HistoryError, map_layers
from dlint.parsing.dockerfile import parse

FIXTURE = """\
FROM busybox
ARG A=1
WORKDIR /srv
COPY app.txt /srv/
RUN mkdir -p /tmp/cache && head -c 100 /dev/zero > /tmp/cache/blob
RUN rm /srv/big
RUN ["/bin/sh", "-c", "echo hi > /srv/exec.txt"]
ENV X=1
"""
BASE = [{"created_by": "/bin/sh -c #(nop) ADD file:9a8b in / "}, {"created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
                                                                       "empty_layer": True}]
CLASSIC = BASE + [
    {"created_by": "/bin/sh -c #(nop)  ARG A=1", "empty_layer": True},
    {"created_by": "/bin/sh -c #(nop) WORKDIR /srv"},
    {"created_by": "/bin/sh -c #(nop) COPY file:336615d49de9976dab63b0802630d074b02616492a7c4081ffc3110ad10d266d in /srv/ "},
    {"created_by": "|1 A=1 /bin/sh -c mkdir -p /tmp/cache && head -c 100 /dev/zero > /tmp/cache/blob"},
    {"created_by": "|1 A=1 /bin/sh -c rm /srv/big"},
    {"created_by": "|1 A=1 /bin/sh -c echo hi > /srv/exec.txt"},
    {"created_by": "/bin/sh -c #(nop)  ENV X=1", "empty_layer": True},
]
BUILDKIT = BASE + [
    {"created_by": "ARG A=1", "empty_layer": True},
    {"created_by": "WORKDIR /srv"},
    {"created_by": "COPY app.txt /srv/ # buildkit"},
    {"created_by": "RUN |1 A=1 /bin/sh -c mkdir -p /tmp/cache && head -c 100 /dev/zero > /tmp/cache/blob # buildkit"},
    {"created_by": "RUN |1 A=1 /bin/sh -c rm /srv/big # buildkit"},
    {"created_by": "RUN |1 A=1 /bin/sh -c echo hi > /srv/exec.txt # buildkit"},
    {"created_by": "ENV X=1", "empty_layer": True},
]
PODMAN = BASE + [  # Podman writes no layer for WORKDIR, and an exec-form RUN as written
    {"created_by": "/bin/sh -c #(nop) ARG A", "empty_layer": True},
    {"created_by": "/bin/sh -c #(nop) WORKDIR /srv", "empty_layer": True},
    {"created_by": "/bin/sh -c #(nop) COPY file:c568800f8dbfd1780de6df937edfaa6e201076bbeff15cefd8ef4871bf028840 in /srv/ "},
    {"created_by": "|1 A=1 /bin/sh -c mkdir -p /tmp/cache && head -c 100 /dev/zero > /tmp/cache/blob"},
    {"created_by": "|1 A=1 /bin/sh -c rm /srv/big"},
    {"created_by": '|1 A=1 /bin/sh -c ["/bin/sh", "-c", "echo hi > /srv/exec.txt"]'},
    {"created_by": "/bin/sh -c #(nop) ENV X=1", "empty_layer": True},
]


def lines(history: list[dict], text: str = FIXTURE, stage: int = -1):
    df = parse(text, "Dockerfile")
    layers = sum(1 for h in history if not h.get("empty_layer"))
    mapping = map_layers({"history": history}, layers, df, df.stages[stage])
    return [o.start_line if o else None for o in mapping.owners], mapping.notices


@pytest.mark.parametrize("history", [CLASSIC, BUILDKIT], ids=["classic", "buildkit"])
def test_docker_classic_and_buildkit_history_ties_every_layer_to_its_line(history):
    assert lines(history) == ([1, 3, 4, 5, 6, 7], [])


def test_podman_history_ties_its_layers_too_and_its_exec_form_run_as_written():
    assert lines(PODMAN) == ([1, 4, 5, 6, 7], [])


def test_a_layer_no_line_explains_is_reported_and_the_lines_around_it_still_tie():
    extra = [*BUILDKIT[:-1], {"created_by": "RUN /bin/sh -c make install # buildkit"}, BUILDKIT[-1]]
    owners, notices = lines(extra)
    assert owners == [1, 3, 4, 5, 6, 7, None]
    assert notices == [("layer 7 (RUN /bin/sh -c make install # buildkit) matches no line of the Dockerfile: "
                        "its bytes are not tied to a line")]


def test_a_line_the_image_lacks_is_reported_and_never_given_another_lines_bytes():
    text = FIXTURE.replace("RUN rm /srv/big\n", "RUN rm /srv/big\nRUN apt-get update\n")
    owners, notices = lines(BUILDKIT, text)
    assert owners == [1, 3, 4, 5, 6, 8]  # the exec-form RUN moved to line 8 and is still found by its text
    assert notices == [("line 7 (RUN) has no entry in the image's history: the image was built from another "
                        "version of it")]


def test_an_image_from_another_dockerfile_ties_nothing_not_even_the_base():
    owners, notices = lines(BUILDKIT, "FROM busybox\nRUN echo other\nCOPY x /opt/\n")
    assert owners == [None] * 6
    assert len(notices) == 8 and all("matches no line" in n for n in notices[:6])
    assert notices[6:] == [f"line {n} ({k}) has no entry in the image's history: the image was built from another "
                           "version of it" for n, k in ((3, "COPY"), (2, "RUN"))]


def test_the_stage_that_ships_and_its_parents_are_matched_not_the_other_stages():
    text = "FROM busybox AS base\nRUN make\nFROM busybox AS tools\nRUN rm /srv/big\nFROM base\nCOPY app.txt /srv/\n"
    history = BASE + [{"created_by": "RUN /bin/sh -c make # buildkit"}, {"created_by": "COPY app.txt /srv/ # buildkit"}]
    assert lines(history, text) == ([1, 2, 6], [])
    assert lines(history, text, stage=1)[0] == [None, None, None]  # `tools` did not make this image


def test_a_run_with_a_changed_command_is_not_tied_by_its_keyword_alone():
    owners, notices = lines(CLASSIC, FIXTURE.replace("rm /srv/big", "rm -f /srv/big"))
    assert owners[4] is None and any("layer 5" in n for n in notices)


def test_a_history_naming_more_layers_than_the_image_has_is_an_error():
    df = parse(FIXTURE, "Dockerfile")
    with pytest.raises(HistoryError, match="^the image's history names 6 layers but the image has 5"):
        map_layers({"history": CLASSIC}, 5, df, df.stages[0])


def test_a_history_naming_fewer_layers_ties_none_and_says_so():
    df = parse(FIXTURE, "Dockerfile")
    mapping = map_layers({"history": CLASSIC}, 8, df, df.stages[0])
    assert mapping.owners == [None] * 8
    assert mapping.notices == ["the image's history names 6 of its 8 layers: no layer is tied to a line"]


def test_control_characters_of_a_history_never_reach_the_notices():
    hostile = [*BUILDKIT, {"created_by": "RUN /bin/sh -c \x1b[2J\x07evil # buildkit"}]
    _, notices = lines(hostile)
    assert notices and "\x1b" not in notices[0] and "\x07" not in notices[0]


def test_metadata_under_a_changed_shell_and_copy_flags_in_the_classic_form_still_tie():
    text = "FROM busybox\nCOPY --chown=1:1 out /app\nSHELL [\"/bin/sh\", \"-e\", \"-c\"]\nRUN echo done\nUSER 1\n"
    history = BASE + [  # Docker 20.10's classic builder wrote these
        {"created_by": "/bin/sh -c #(nop) COPY --chown=1:1dir:4fad4d6a7140a6ab41dbb36a7f15900d94cad8 in /app "},
        {"created_by": "/bin/sh -e -c #(nop)  SHELL [/bin/sh -e -c]", "empty_layer": True},
        {"created_by": "/bin/sh -e -c echo done"},
        {"created_by": "/bin/sh -e -c #(nop)  USER 1", "empty_layer": True},
    ]
    df = parse(text, "Dockerfile")
    mapping = map_layers({"history": history}, 3, df, df.stages[0])
    assert [o.start_line for o in mapping.owners] == [1, 2, 4]
    assert mapping.placed == {1, 2, 3, 4} and mapping.notices == []


def test_a_heredoc_run_is_never_tied_to_a_guess_and_the_lines_after_it_still_tie():
    # Docker 20.10 (classic and BuildKit's built-in frontend) and Podman 4.3 reject `RUN <<EOF` on this machine,
    # so no real heredoc history exists here: whatever a newer builder writes, the layer stays untied.
    text = FIXTURE.replace("RUN rm /srv/big\n", "RUN <<EOF\nrm /srv/big\nEOF\n")
    owners, notices = lines(BUILDKIT, text)
    assert owners[4] is None and owners[5] == 9  # the exec-form RUN after the heredoc keeps its line
    assert any(n.startswith("layer 5 (RUN |1 A=1 /bin/sh -c rm /srv/big # buildkit) matches no line") for n in notices)
