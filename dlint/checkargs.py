"""`dlint check`'s options read without click, and what both ways of reading them turn into.

Importing typer and click and building the command is more than the lint of a
file costs (README, Speed), and `dlint check` is what pre-commit, editors and CI
run on every commit. So main.py reads `check`'s arguments here first; only when
they ask for something this reader leaves to typer (help, an option it does not
know, a value that is not plain, an option that takes no value given one, `--`)
does the typer command in cli.py read them, and then every error and help text is
click's. The option table mirrors cli.check's parameters (a test compares them,
and what each reader makes of the same arguments); both end in `check_options`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlint.lint.command import CheckOptions

# Every spelling of every option of cli.check: (its parameter, how it is read). "list" options are
# repeatable, "str" and "int" ones take the last value, "true"/"false" set a flag to that.
OPTIONS: dict[str, tuple[str, str]] = {
    "--format": ("format", "list"), "-f": ("format", "list"),
    "--output": ("output", "list"), "-o": ("output", "list"),
    "--select": ("select", "list"),
    "--extend-select": ("extend_select", "list"),
    "--ignore": ("ignore", "list"),
    "--failure-threshold": ("failure_threshold", "str"),
    "--config": ("config", "str"),
    "--isolated": ("isolated", "true"),
    "--no-inline-ignores": ("no_inline_ignores", "true"),
    "--shellcheck": ("shellcheck", "true"), "--no-shellcheck": ("shellcheck", "false"),
    "--no-gitignore": ("no_gitignore", "true"),
    "--target": ("target", "list"),
    "--fix": ("fix", "true"),
    "--diff": ("diff", "true"),
    "--unsafe-fixes": ("unsafe_fixes", "true"),
    "--force": ("force", "true"),
    "--max-file-size": ("max_file_size", "int"),
    "--jobs": ("jobs", "int"), "-j": ("jobs", "int"),
}
MINIMUM = {"max_file_size": 0, "jobs": 1}  # click's `min=`: a smaller value is its error to give


def defaults() -> dict[str, Any]:
    """cli.check's parameters as typer passes them when no option is given."""
    from dlint.parsing.source import MAX_FILE_SIZE

    values: dict[str, Any] = {dest: None for dest, kind in OPTIONS.values() if kind in ("list", "str", "int")}
    values |= {dest: False for dest, kind in OPTIONS.values() if kind == "true"}
    return values | {"shellcheck": None, "max_file_size": MAX_FILE_SIZE}


def parse(args: list[str]) -> dict[str, Any] | None:
    """cli.check's parameters for `check`'s arguments (`paths` included), as click would read them;
    None when click must read them (it then helps or errs in its own words)."""
    values = defaults()
    paths: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        name, value = _split(arg)
        if name not in OPTIONS:
            return None
        dest, kind = OPTIONS[name]
        if kind in ("true", "false"):
            if value is not None:
                return None
            values[dest] = kind == "true"
            continue
        if value is None:
            value = next(it, None)
        if value is None or value.startswith("-"):  # click would take "-x" as the value: rare enough to leave it
            return None
        if kind == "int":
            # More digits than int() reads (4,300) or any count's need: click says what is wrong with it.
            if not (value.isascii() and value.isdigit() and len(value) <= 18) or int(value) < MINIMUM[dest]:
                return None
            values[dest] = int(value)
        elif kind == "list":
            values[dest] = values[dest] or []  # one list appended to: thousands of `--ignore` stay linear
            values[dest].append(value)
        else:
            values[dest] = value
    if not paths:
        return None
    return values | {"paths": paths}


def _split(arg: str) -> tuple[str, str | None]:
    """(option, value written into the same argument or None): `--format=json`, `-fjson`, `-j2`."""
    if arg.startswith("--"):
        name, eq, value = arg.partition("=")
        return name, value if eq else None
    return arg[:2], arg[2:] or None


def check_options(raw_args: list[str], values: dict[str, Any]) -> CheckOptions:
    """What cli.check's parameters ask `dlint check` to do; `raw_args` pairs each --output with its --format."""
    from dlint.lint.command import CheckOptions
    from dlint.lint.config import Flags, split_codes

    flags = Flags(
        select=split_codes(values["select"]),
        extend_select=split_codes(values["extend_select"]) or (),
        ignore=split_codes(values["ignore"]) or (),
        failure_threshold=values["failure_threshold"],
        config=values["config"],
        isolated=values["isolated"],
        inline_ignores=not values["no_inline_ignores"],
        shellcheck=values["shellcheck"],
        gitignore=not values["no_gitignore"],
        max_file_size=values["max_file_size"],
        targets=tuple(values["target"] or ()),
    )
    outputs = tuple(format_pairs(raw_args, values["format"] or [], "text"))
    return CheckOptions(
        tuple(values["paths"]), outputs, flags, fix=values["fix"], diff=values["diff"],
        unsafe_fixes=values["unsafe_fixes"], force=values["force"], jobs=values["jobs"],
    )


def format_pairs(raw_args: list[str], formats: list[str], default: str) -> list[tuple[str, str | None]]:
    """(format, output file or None for stdout) in command-line order.

    Each `--output` belongs to the `--format` written before it, so
    `--format sarif --output x.sarif --format text` writes SARIF to a file and
    text to stdout. An `--output` with no format before it takes the default.
    """
    pairs: list[list] = []
    it = iter(raw_args)
    for tok in it:
        if tok == "--":
            break
        name, value = _split(tok)  # as the options are read: `--format=json`, `-fjson`, `-oreport.json`
        if name in ("--format", "-f", "--output", "-o"):
            value = next(it, None) if value is None else value
            if value is None:
                break
            if name in ("--format", "-f"):
                pairs.append([value, None])
            elif pairs and pairs[-1][1] is None:
                pairs[-1][1] = value
            else:
                pairs.append([default, value])
    if not pairs:
        pairs = [[f, None] for f in formats] or [[default, None]]
    return [(f, o) for f, o in pairs]
