"""Waste accounting on a real build: every kind of waste, with the lines that added and hid it."""

from __future__ import annotations

import pytest
from analyse_support import FIXTURES, by_line, dlint, engine_state

pytestmark = pytest.mark.engine

WASTE = FIXTURES.parent / "waste" / "Dockerfile"


def entries(data: dict) -> dict[tuple[str, str], dict]:
    return {(e["path"], e["kind"]): e for e in data["waste"]}


def test_a_file_written_in_one_run_and_deleted_in_the_next_is_reported_with_both_lines(waste_run):
    download = entries(waste_run.json)[("/tmp/download.bin", "deleted")]
    assert (download["bytes"], download["added_line"], download["removed_line"]) == (2_000_000, 3, 4)
    assert download["suggestion"] == "added at line 3, removed at line 4: move the removal into line 3"
    assert by_line(waste_run.json)[3]["wasted_bytes"] == 2_000_000


def test_every_kind_is_found_and_only_the_hidden_copies_count(waste_run):
    found = {key: (e["bytes"], e["files"], e["added_line"], e["removed_line"])
             for key, e in entries(waste_run.json).items()}
    assert found == {
        ("/tmp/download.bin", "deleted"): (2_000_000, 1, 3, 4),
        ("/srv/cache", "deleted"): (300_000, 3, 7, 8),  # one entry for the directory `rm -rf` removed
        ("/srv/data", "overwritten"): (300_000, 1, 9, 10),  # the 100 kB copy that stays is not waste
        ("/etc/app/config.txt", "copy-up"): (56_000, 1, 5, 6),
    }
    copy_up = entries(waste_run.json)[("/etc/app/config.txt", "copy-up")]
    assert "use `COPY --chown=... --chmod=...` at line 5" in copy_up["suggestion"]
    image = waste_run.json["image"]
    assert image["wasted_bytes"] == 2_656_000
    assert image["efficiency"] == round(1 - image["wasted_bytes"] / image["stored_bytes"], 4)
    assert abs(image["stored_bytes"] - image["size"]) < 10_000  # the layers' file bytes are what the engine counts
    assert image["compressed_size"] is None  # this engine's save stream carries plain layers


def test_the_reports_of_one_run_agree_and_the_engine_is_left_as_found(waste_run):
    assert waste_run.engine_run.before == waste_run.engine_run.after
    summary = waste_run.markdown
    assert summary.startswith("## dlint analyse `")
    assert "| `/tmp/download.bin` | 2 MB | deleted | 3 | 4 | added at line 3, removed at line 4" in summary
    assert "**Waste:** efficiency 44.6%" in summary
    assert "2 MB" in waste_run.html and "/tmp/download.bin" in waste_run.html


def test_buildkit_images_map_their_waste_to_the_same_lines(engine):
    before = engine_state(engine)
    run = dlint("analyse", str(WASTE), "--builder", "buildkit", "--rm", "--format", "json")
    assert run.returncode == 0, run.stderr
    found = {key: (e["added_line"], e["removed_line"]) for key, e in entries(run.data).items()}
    assert found[("/tmp/download.bin", "deleted")] == (3, 4)
    assert found[("/etc/app/config.txt", "copy-up")] == (5, 6)
    assert engine_state(engine) == before


def test_a_warm_analyse_reads_the_layers_from_the_cache_and_reports_the_same(engine, kept_images, tmp_path):
    """The second run of an unchanged build reads no save stream: the same waste, sizes and findings."""
    env = {"DLINT_CACHE_DIR": str(tmp_path / "cache")}
    runs = [dlint("analyse", str(WASTE), "--builder", "buildkit", "--format", "json", env=env) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
        kept_images.add(run.data)
    cold, warm = (run.data for run in runs)
    assert (cold["layers_from"], warm["layers_from"]) == ("the engine's save stream", "dlint's layer cache")
    assert all(step["cached"] for step in warm["steps"])
    for key in ("waste", "image", "findings"):
        assert warm[key] == cold[key], key
    assert [(s["line"], s["size"], s["wasted_bytes"], s["probes"]) for s in warm["steps"]] == \
           [(s["line"], s["size"], s["wasted_bytes"], s["probes"]) for s in cold["steps"]]
