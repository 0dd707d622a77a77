"""Hostile configuration files and template names, through the real CLI: one line, exit 2, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dlint(cwd: Path, *args: str, stdin: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "dlint", "check", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=False,
        timeout=timeout,
    )


def one_line(p: subprocess.CompletedProcess[bytes]) -> str:
    err = p.stderr.decode()
    assert "Traceback" not in err
    assert p.returncode == 2, err
    assert len(err.splitlines()) == 1, err
    return err.strip()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\n")
    return tmp_path


DEEP_ARRAY = "a = " + "[" * 1000 + "]" * 1000 + "\n"
DEEP_TABLE = "a = " + "{b = " * 1000 + "}" * 1000 + "\n"
BODY = 'select = ["DL3007"]\n'
LONG_HEADER = "[" + ".".join(["a"] * 128_000) + "]\n"  # tomllib: 38 s
LONG_KEY = "  " + ".".join(["a"] * 128_000) + " = 1\n"
HUGE_INT = "not a TOML file dlint can read: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'select = ["DL\xff"]\n', "invalid UTF-8 at byte offset 13; TOML must be UTF-8"),
        (BODY.encode("utf-16"), "binary or UTF-16, not a TOML file (TOML must be UTF-8)"),
        (BODY.encode("utf-16-le"), "binary or UTF-16, not a TOML file (TOML must be UTF-8)"),
        (DEEP_ARRAY.encode(), "nested too deeply to read"),
        (DEEP_TABLE.encode(), "nested too deeply to read"),
        (LONG_HEADER.encode(), "a key of more than 100 dotted parts: nested too deeply to read"),
        (LONG_KEY.encode(), "a key of more than 100 dotted parts: nested too deeply to read"),
        (b"#" * 1_000_001, "larger than 1000000 bytes (the limit for a config file), not read"),
        (b"failure-threshold = " + b"9" * 5000 + b"\n", HUGE_INT),
        (b"[levels]\nDL3009 = 1" + b"0" * 4300 + b"\n", HUGE_INT.replace("5000", "4301")),
        (b"[another-tool]\nline-length = " + b"9" * 5000 + b"\n", HUGE_INT),  # a PR can add one to a pyproject.toml
    ],
    ids=["not-utf8", "utf16-bom", "utf16-no-bom", "deep-array", "deep-table", "long-header", "long-key", "huge",
         "int-digits", "int-digits-levels", "int-digits-other-table"],
)
@pytest.mark.parametrize("name", [".dlint.toml", "pyproject.toml"])
def test_a_broken_config_file_is_one_line_naming_it(tree: Path, name: str, data: bytes, expected: str) -> None:
    if name == "pyproject.toml" and not data.startswith(b"#"):
        data = "[tool.dlint]\n".encode("utf-16" if data.startswith(b"\xff\xfe") else "utf-8") + data
        expected = expected.replace("13", "26")  # the table header comes first
    (tree / name).write_bytes(data)
    assert one_line(dlint(tree, ".")) == f"dlint: {tree / name}: {expected}"


@pytest.mark.parametrize(
    ("body", "key"),
    [("failure-threshold = {}", "failure-threshold"), ("[levels]\nDL3009 = {}", "levels.DL3009"),
     ("[rules.DL3026]\ntrusted-registries = {}", "rules.DL3026.trusted-registries")],
)
def test_a_hex_integer_past_python_s_digit_limit_is_described_not_a_traceback(tree: Path, body: str, key: str) -> None:
    """TOML's 0x form has no digit limit, as its decimal one has in tomllib: the wrong value is still named."""
    (tree / ".dlint.toml").write_text(body.format("0x" + "f" * 5000) + "\n")
    assert one_line(dlint(tree, ".")).startswith(f"dlint: {tree / '.dlint.toml'}: {key}: expected ")
    assert "an integer of 20000 bits" in one_line(dlint(tree, "."))


@pytest.mark.parametrize("body", [
    'failure-threshold = "{}"', '[levels]\n{} = "error"', 'select = ["{}"]', '{} = 1', '[rules.DL3026]\n{} = 1',
], ids=["threshold", "levels-key", "select", "unknown-key", "rule-setting"])
def test_a_long_key_or_value_is_shown_by_its_start_not_whole(tree: Path, body: str) -> None:
    """A 200,000-character value or key was repeated whole in the error: one line, but 200 KB of it in a CI log."""
    (tree / ".dlint.toml").write_text(body.format("x" * 200_000) + "\n")
    line = one_line(dlint(tree, "."))
    assert len(line) < 500 and "200,000 characters" in line, line
    assert "characters)'" not in line, line  # the count is no part of a quoted value


def test_a_shortened_value_is_quoted_apart_from_its_length(tree: Path) -> None:
    (tree / ".dlint.toml").write_text(f'failure-threshold = "{"x" * 200}"\n')
    assert one_line(dlint(tree, ".")).endswith(f"got a string '{'x' * 80}'... (200 characters)")


def test_a_tool_dlint_that_is_not_a_table_is_named_once(tree: Path) -> None:
    (tree / "pyproject.toml").write_text("[tool]\ndlint = 5\n")
    assert one_line(dlint(tree, ".")) == f"dlint: {tree / 'pyproject.toml'}: tool.dlint: expected a table, got an integer 5"


def test_an_explicit_config_that_is_broken_is_one_line(tree: Path) -> None:
    (tree / "c.toml").write_bytes(b"\xff")
    assert one_line(dlint(tree, "--config", "c.toml", ".")) == "dlint: c.toml: invalid UTF-8 at byte offset 0; TOML must be UTF-8"


@pytest.mark.parametrize("name", [".dlint.toml", "pyproject.toml"])
def test_a_config_that_is_not_a_file_is_an_error_not_the_defaults(tree: Path, name: str) -> None:
    cfg = tree / name
    cfg.mkdir()
    assert one_line(dlint(tree, ".")) == f"dlint: {cfg}: is a directory, not a config file"
    cfg.rmdir()
    cfg.symlink_to("nowhere")
    assert one_line(dlint(tree, ".")) == f"dlint: {cfg}: cannot read: No such file or directory"
    cfg.unlink()
    cfg.symlink_to(name)
    assert one_line(dlint(tree, ".")) == f"dlint: {cfg}: cannot read: Too many levels of symbolic links"
    cfg.unlink()
    os.mkfifo(cfg)  # no writer: opening it to read would hang
    assert one_line(dlint(tree, ".")) == f"dlint: {cfg}: not a regular file (a FIFO), not read"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_character_device_as_config_is_refused_unread(tree: Path, device: str) -> None:
    assert one_line(dlint(tree, "--config", device, ".")) == f"dlint: {device}: not a regular file (a character device), not read"


def test_config_from_stdin_is_read_only_when_stdin_is_a_regular_file(tree: Path) -> None:
    """A pipe is refused (it could be endless); `--config /dev/stdin < file` works."""
    piped = dlint(tree, "--config", "/dev/stdin", ".", stdin=os.urandom(100))
    assert one_line(piped) == "dlint: /dev/stdin: not a regular file (a FIFO), not read"
    (tree / "Dockerfile").write_text("FROM alpine:latest\n")
    (tree / "c.toml").write_text('select = ["DL3007"]\n')
    with open(tree / "c.toml", "rb") as fh:
        p = subprocess.run(
            [sys.executable, "-m", "dlint", "check", "--config", "/dev/stdin", "."], cwd=tree, stdin=fh,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60, check=False,
        )
    assert p.returncode == 1 and b"DL3007" in p.stdout, p.stderr


TEMPLATE = "FROM alpine:3.19\n{{ if .Debug -}}\nRUN apt-get update\n{{- end }}\n"


@pytest.mark.parametrize(
    "name",
    ["Dockerfile.template", "Dockerfile.j2", "Dockerfile.jinja", "Dockerfile.jinja2", "Dockerfile.in",
     "Dockerfile.tmpl", "Dockerfile.tpl", "Dockerfile.erb", "Dockerfile.mustache", "Dockerfile.hbs",
     "app.Dockerfile.j2", "Dockerfile.twig", "Dockerfile.njk", "Dockerfile.liquid", "Dockerfile.ejs",
     "Dockerfile.ctmpl", "Dockerfile.epp", "Dockerfile.J2", "Dockerfile.Template", "web.Dockerfile.TMPL",
     "Dockerfile.m4", "Dockerfile.tt"],
)
def test_templates_are_not_discovered_but_are_linted_when_named(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(TEMPLATE)
    found = dlint(tmp_path, ".")
    assert found.returncode == 0 and b"no Dockerfiles found in ." in found.stderr, found.stderr
    named = dlint(tmp_path, name)
    assert named.returncode != 0 and name.encode() in named.stdout


def test_fix_never_rewrites_a_named_template(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile.j2"
    path.write_text(TEMPLATE)
    dlint(tmp_path, "--fix", "Dockerfile.j2")
    dlint(tmp_path, "--fix", ".")
    assert path.read_text() == TEMPLATE


def _without_dac() -> list[str]:
    """Run as root without the capabilities that let root read a mode-000 directory it owns."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and no setpriv to drop CAP_DAC_OVERRIDE: mode 000 would not block reading")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def test_an_unreadable_subdirectory_is_said_counted_and_fails(tmp_path: Path) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "Dockerfile").write_text("FROM alpine:3.19\n")
    locked = tmp_path / "sub\x1b]0;x"
    locked.mkdir()
    (locked / "Dockerfile").write_text("FROM alpine:3.19\n")
    locked.chmod(0)
    try:
        p = subprocess.run(
            [*_without_dac(), sys.executable, "-m", "dlint", "check", "."], cwd=tmp_path, capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False,
        )
    finally:
        locked.chmod(0o755)
    err = p.stderr.decode()
    assert "Traceback" not in err and "\x1b" not in err
    assert p.returncode == 2, err
    assert err.splitlines() == [
        "dlint: sub\\x1b]0;x: cannot read directory: Permission denied",
        "dlint: no findings in 1 file, 1 file not read",
    ]


def test_an_unreadable_discovered_dockerfile_is_said_and_fails(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.19\n")
    (tmp_path / "Dockerfile").chmod(0)
    p = subprocess.run(
        [*_without_dac(), sys.executable, "-m", "dlint", "check", "."], cwd=tmp_path, capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False,
    )
    assert p.returncode == 2, p.stderr
    assert p.stderr.decode().splitlines()[0] == "dlint: Dockerfile: cannot read: Permission denied"


def test_a_long_dotted_value_and_a_key_at_the_limit_are_still_read(tree: Path) -> None:
    """Only keys are counted: dots in a string, an array's lines or a comment are no nesting."""
    dotted = ".".join(["a"] * 500)
    (tree / ".dlint.toml").write_text(
        f'# {dotted}\nexclude = [\n  "{dotted}",\n]\n[{".".join(["x"] * 100)}]\ny = "{dotted}"\n', encoding="utf-8")
    p = dlint(tree, ".")
    assert b"nested too deeply" not in p.stderr
    assert b"unknown" in p.stderr  # read: the table at the limit is no setting of dlint's


HANG_GUARD = 20  # seconds: a second or two when linear; a blow-up takes minutes to hours


def test_a_glob_of_unclosed_brackets_is_no_hang(tree: Path) -> None:
    """fnmatch looked for a `]` from each of them: 30,000 took 48 s, 100,000 would take nine minutes."""
    (tree / ".dlint.toml").write_text('exclude = ["' + "[" * 100_000 + '"]\n[per-file-ignores]\n"x[[[[" = ["DL3006"]\n')
    (tree / "[[[").mkdir()
    (tree / "[[[" / "Dockerfile").write_text("FROM alpine\n")
    p = dlint(tree, ".", timeout=HANG_GUARD)
    assert p.returncode == 1 and p.stdout.count(b"DL3006") == 1, p.stderr  # `[` is still a literal


@pytest.mark.parametrize("key", ["exclude", "per-file-ignores"])
def test_a_config_of_40000_globs_is_compiled_once_not_per_file(tree: Path, key: str) -> None:
    """Past fnmatch's cache of 32,768, each glob was compiled again on every file: 100 files took 5 minutes."""
    globs = [f'"x{i}*"' for i in range(40_000)] + ['"skipped"']
    if key == "exclude":
        (tree / ".dlint.toml").write_text(f"exclude = [{', '.join(globs)}]\n")
    else:
        (tree / ".dlint.toml").write_text("[per-file-ignores]\n" + "".join(f'{g} = ["DL3006"]\n' for g in globs))
    for i in range(40):
        (tree / f"d{i}").mkdir()
        (tree / f"d{i}" / "Dockerfile").write_text("FROM alpine\n")
    (tree / "skipped").mkdir()
    (tree / "skipped" / "Dockerfile").write_text("FROM alpine\n")
    p = dlint(tree, ".", timeout=HANG_GUARD)
    assert p.returncode == 1 and p.stdout.count(b"DL3006") == 40 and b"skipped" not in p.stdout, p.stderr


def test_a_tree_1800_directories_deep_with_a_dockerfile_in_each_is_no_hang(tree: Path) -> None:
    """Each file's path was resolved component by component, every directory again for every file
    below it (billions of lookups: over two minutes); the config's globs need the resolved path too."""
    (tree / ".dlint.toml").write_text('exclude = ["skipped"]\n[per-file-ignores]\n"a" = ["DL3006"]\n')
    made = [tree / "a"]
    for _ in range(1800):
        made[-1].mkdir()
        (made[-1] / "Dockerfile").write_text("FROM alpine\n")
        made.append(made[-1] / "a")
    made[-1] = made[-2] / "skipped"
    made[-1].mkdir()
    (made[-1] / "Dockerfile").write_text("FROM alpine\n")
    try:
        p = dlint(tree, "-f", "json", ".", timeout=HANG_GUARD)
    finally:  # bottom up: pytest's own clean-up (shutil.rmtree) recurses once per level
        for directory in reversed(made):
            (directory / "Dockerfile").unlink()
            directory.rmdir()
    assert p.returncode == 0 and p.stdout == b"[]\n", p.stderr  # every one found, and each DL3006 ignored
    assert p.stderr.decode().splitlines()[-1] == "dlint: no findings in 1801 files"
