"""What a RUN's `rm` and `find -delete` remove, as the cleanup rules read it (dlint/lint/checks/removals.py)."""

from __future__ import annotations

from dlint.lint.checks.removals import Removals
from dlint.parsing.dockerfile import parse
from dlint.parsing.shell import run_script


def index(script: str) -> tuple[Removals, list[int]]:
    df = parse(f"FROM debian\nRUN {script}\n", "Dockerfile")
    run = run_script(df, df.instructions[1])
    assert run is not None
    return Removals(list(run.commands)), [c.start_offset for c in run.commands]


def test_a_tree_counts_when_removed_itself_its_contents_or_a_directory_above_it_later():
    removed, at = index("pip install x && rm -rf /root/.cache/* && rm -r /var/lib && find /srv/c -delete")
    assert removed.tree_after(at[0], ["/root/.cache/pip"])  # its parent's contents
    assert removed.tree_after(at[0], ["/var/lib/apt/lists/"])  # a parent, trailing slash on the asked path
    assert removed.tree_after(at[0], ["/srv/c/"])  # find at the directory itself
    assert not removed.tree_after(at[0], ["/srv/c/sub"])  # find below a parent: its tests may pick anything
    assert not removed.tree_after(at[1], ["/root/.cache/pip"])  # removed before, not after
    assert not removed.tree_after(at[0], ["/var/libx", "/root/.cache-pip"])  # a name that only starts alike


def test_a_plain_rm_removes_files_but_no_tree():
    removed, at = index("curl -o /t/a.tgz u && rm /t/a.tgz /t/dir && rm -f \"$X\"")
    assert not removed.tree_after(at[0], ["/t/dir"])  # no -r: a directory stays
    assert removed.file_after(0, "/t/a.tgz") and removed.file_after(0, "/t/dir/x.tgz")
    assert removed.file_after(1, "/anything")  # `rm -f "$X"` may name any file
