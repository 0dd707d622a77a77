"""Configuration: `.dlint.toml` or `[tool.dlint]`, found from each Dockerfile's own directory.

Precedence, lowest first: built-in defaults, the nearest config file (walking up
from the Dockerfile's directory, not the working directory: a monorepo's
sub-projects each get their own), then command-line flags. Selection is
resolved in layers, ruff-style: within a layer `select` replaces the set,
`extend-select` adds and `ignore` removes; the flags form the last layer, so
`--select` overrides everything the file said about selection.

Every mistake in a config file is an error naming the file, the key and what
was expected: a misspelt key that is silently ignored is a rule nobody runs.

ShellCheck's SC codes (reported when `shellcheck = true` or `--shellcheck`) are
selected, ignored and given levels like rule codes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dlint.lint.discovery import glob_matches, relative
from dlint.lint.engine import Selection, default_codes
from dlint.lint.finding import Level
from dlint.lint.registry import SHELLCHECK_CODES, Rule, all_rules, canonical
from dlint.output import SHOWN, shortened
from dlint.parsing.numbers import non_negative_int
from dlint.parsing.source import MAX_FILE_SIZE, SourceError, read_bytes

DLINT_TOML = ".dlint.toml"
PYPROJECT = "pyproject.toml"
THRESHOLDS = ("error", "warning", "info", "style", "none")
OFF = "off"
MAX_CONFIG_SIZE = 1_000_000  # bytes: a config is a few hundred; a bigger one is refused unread


class ConfigError(Exception):
    """A config file or flag that cannot be used; the message is one line for the user."""


class ConfigFileError(ConfigError):
    """A config file found by discovery that cannot be used: `path` is the file to fix, where the language
    server shows the error (the one file discovery stopped at, so the editor and `dlint check` agree)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class Layer(NamedTuple):
    """One step of rule selection: `select` (if given) replaces, then add, then remove."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def apply(self, codes: set[str], rules: dict[str, Rule], where: str) -> set[str]:
        if self.select is not None:
            codes = expand(self.select, rules, where)
        return (codes | expand(self.extend_select, rules, where)) - expand(self.ignore, rules, where)


@dataclass
class Config:
    """One config file, validated. `path` None: no file applies (defaults only)."""

    path: str | None = None
    layer: Layer = field(default_factory=Layer)
    levels: dict[str, Level] = field(default_factory=dict)
    failure_threshold: str | None = None  # one of THRESHOLDS; None: not set
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    shellcheck: bool | None = None  # run ShellCheck on RUN scripts; None: not set
    targets: tuple[str, ...] = ()  # stage names that ship; empty: not set

    @property
    def root(self) -> str:
        """Where the file's globs are anchored: its own directory."""
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def excludes(self, real: str) -> bool:
        """Whether `exclude` matches the file whose resolved path is `real`."""
        return bool(self.exclude) and glob_matches(relative(real, self._real_root), self.exclude)

    def per_file_codes(self, real: str) -> tuple[str, ...]:
        """The codes per-file-ignores turn off for the file at `real` (resolved), matched once for all its globs."""
        if not self.per_file_ignores:
            return ()
        rel = relative(real, self._real_root)
        return tuple(c for pattern, codes in self.per_file_ignores if glob_matches(rel, (pattern,)) for c in codes)

    @functools.cached_property
    def _real_root(self) -> str:
        return os.path.realpath(self.root)


class Flags(NamedTuple):
    """What the command line said; None/empty: not given, the config decides."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    failure_threshold: str | None = None
    config: str | None = None
    isolated: bool = False
    inline_ignores: bool = True
    shellcheck: bool | None = None  # --shellcheck / --no-shellcheck
    gitignore: bool = True  # --no-gitignore: directories are searched whole
    max_file_size: int = MAX_FILE_SIZE  # --max-file-size: a bigger file is refused unread
    targets: tuple[str, ...] = ()  # --target NAME, repeatable


class Settings(NamedTuple):
    """What one Dockerfile is linted with."""

    selection: Selection
    threshold: Level | None  # findings at or above it fail the run; None: none do
    config: Config


class Resolver:
    """Finds and validates config files (each once) and resolves the settings for each path."""

    def __init__(self, flags: Flags | None = None) -> None:
        flags = flags or Flags()
        if flags.config is not None and flags.isolated:
            raise ConfigError("--config and --isolated contradict each other: give one")
        if flags.select == ():  # `--select ""` or `--select ,,`: selecting nothing is a mistake, as `select = [""]` is
            raise ConfigError("--select: no rule codes given (ALL selects every rule)")
        self.flags = flags
        self.rules = all_rules()
        self._by_dir: dict[str, Config] = {}
        self._real_dirs: dict[str, str] = {}  # a directory as spelt -> resolved: see real_path
        self._settings: dict[tuple[object, tuple[str, ...]], Settings] = {}
        self._flag_layer = Layer(flags.select, flags.extend_select, flags.ignore)
        self._flag_layer.apply(set(), self.rules, "command line")  # unknown codes fail before any work
        if flags.failure_threshold is not None:
            _threshold(flags.failure_threshold, "--failure-threshold")
        self._explicit = None if flags.config is None else load(flags.config, self.rules)

    def config_for(self, path: str) -> Config:
        if self.flags.isolated:
            return Config()
        if self._explicit is not None:
            return self._explicit
        start = os.getcwd() if path == "-" else os.path.dirname(self.real_path(path))
        return self._find(start)

    def excludes(self, path: str) -> bool:
        """Whether the `exclude` of the config for `path`, a file found in a directory, matches it."""
        return self.config_for(path).excludes(self.real_path(path))

    def real_path(self, path: str) -> str:
        """os.path.realpath(path), each directory resolved once, from its parent's: realpath asks each
        component of the path, so a tree 2,000 directories deep, a Dockerfile in each, made billions of
        lookups (minutes); now one lstat per directory and per file."""
        directory, name = os.path.split(path)
        chain: list[tuple[str, str]] = []  # (directory, its last part), deepest first
        while directory not in self._real_dirs:
            parent, part = os.path.split(directory)
            if not parent or parent == directory or part in ("", ".", ".."):
                self._real_dirs[directory] = os.path.realpath(directory)
                break
            chain.append((directory, part))
            directory = parent
        real = self._real_dirs[directory]
        for spelt, part in reversed(chain):
            real = os.path.join(real, part)
            real = self._real_dirs[spelt] = os.path.realpath(real) if os.path.islink(real) else real
        real = os.path.join(real, name)
        return os.path.realpath(real) if os.path.islink(real) else real

    def settings_for(self, path: str) -> Settings:
        """Files with the same config and per-file ignores share one Settings (100,000 files, a few settings)."""
        cfg = self.config_for(path)
        per_file = cfg.per_file_codes(self.real_path(path))
        key = (cfg.path, per_file)
        if key not in self._settings:
            self._settings[key] = self._settings_of(cfg, per_file)
        return self._settings[key]

    def _settings_of(self, cfg: Config, per_file: tuple[str, ...]) -> Settings:
        layer = cfg.layer
        if per_file:
            layer = Layer(layer.select, layer.extend_select, layer.ignore + per_file)
        codes = layer.apply(set(default_codes()), self.rules, str(cfg.path))
        codes = self._flag_layer.apply(codes, self.rules, "command line")
        threshold = self.flags.failure_threshold or cfg.failure_threshold or "style"
        run_shellcheck = next((s for s in (self.flags.shellcheck, cfg.shellcheck) if s is not None), False)
        selection = Selection(
            frozenset(codes), dict(cfg.levels), cfg.options, self.flags.inline_ignores, run_shellcheck,
            self.flags.targets or cfg.targets,
        )
        return Settings(selection, _threshold(threshold, "failure-threshold"), cfg)

    def _find(self, directory: str) -> Config:
        """The nearest config at or above `directory`; within one, .dlint.toml beats pyproject.toml."""
        visited: list[str] = []
        found = Config()
        for d in _upwards(directory):
            if d in self._by_dir:
                found = self._by_dir[d]
                break
            visited.append(d)
            cfg = _load_in(d, self.rules)
            if cfg is not None:
                found = cfg
                break
        for d in visited:
            self._by_dir[d] = found
        return found


def _upwards(directory: str) -> Iterator[str]:
    """`directory` (absolute) and each directory above it, up to the root."""
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def _load_in(directory: str, rules: dict[str, Rule]) -> Config | None:
    """The config in `directory`, None if none: a .dlint.toml, else a pyproject.toml with [tool.dlint] (one
    without it is no config, and discovery goes on upwards). A pyproject.toml that cannot be read is an error:
    whether it has [tool.dlint] cannot be told. A broken file raises ConfigFileError naming it."""
    path = os.path.join(directory, DLINT_TOML)
    try:
        # lexists, not isfile: a directory, a dangling symlink or a loop in its place is an error, not "no config"
        if os.path.lexists(path):
            return load(path, rules)
        path = os.path.join(directory, PYPROJECT)
        if os.path.lexists(path):
            data = _read_toml(path)
            if isinstance(data.get("tool"), dict) and "dlint" in data["tool"]:
                return load(path, rules, data)
    except ConfigError as exc:
        raise ConfigFileError(str(exc), path) from None
    return None


# tomllib takes time quadratic in the parts of one dotted key (`[a.a.a...]`: 128,000 parts, 38 s);
# a setting of dlint's is three deep (`tool.dlint.rules.DL3008`).
MAX_KEY_PARTS = 100


def _key_parts(line: str) -> int:
    """Parts of the key a TOML line names: a `[table]` header, or `key =` (a line of a string or an
    array is no key: it is not counted, so a long dotted value is no false alarm)."""
    stripped = line.lstrip()
    if stripped.startswith("["):
        return stripped.split("]", 1)[0].count(".") + 1
    if stripped[:1] in ("", "#", '"', "'") or "=" not in stripped:
        return 1
    return stripped.split("=", 1)[0].count(".") + 1


def _read_toml(path: str) -> dict[str, Any]:
    """The parsed file, read as a Dockerfile is (regular files only, capped); one-line ConfigError if not."""
    import tomllib  # only once a config file is found: most `dlint check` runs have none

    try:
        data = read_bytes(path, MAX_CONFIG_SIZE, "config file", "the limit for a config file")
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    if b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: binary or UTF-16, not a TOML file (TOML must be UTF-8)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid UTF-8 at byte offset {exc.start}; TOML must be UTF-8") from None
    if any(_key_parts(line) > MAX_KEY_PARTS for line in text.splitlines()):
        raise ConfigError(f"{path}: a key of more than {MAX_KEY_PARTS} dotted parts: nested too deeply to read")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per level of nesting
        raise ConfigError(f"{path}: nested too deeply to read") from None
    except ValueError as exc:  # int() past Python's 4,300 digits, in any table (another tool's in a pyproject.toml)
        raise ConfigError(f"{path}: not a TOML file dlint can read: {str(exc).split(';')[0]}") from None


def load(
    path: str | os.PathLike[str], rules: dict[str, Rule] | None = None, data: dict[str, Any] | None = None
) -> Config:
    """Read and validate one config file (`[tool.dlint]` of a pyproject.toml, else the whole file)."""
    path = os.fspath(path)
    rules = rules if rules is not None else all_rules()
    data = _read_toml(path) if data is None else data
    if os.path.basename(path) == PYPROJECT:
        tool = data.get("tool")
        if not isinstance(tool, dict) or "dlint" not in tool:
            raise ConfigError(f"{path}: has no [tool.dlint] table")
        table, prefix = tool["dlint"], "tool.dlint."
    else:
        table, prefix = data, ""
    v = _Validator(path, prefix, rules)
    if not isinstance(table, dict):  # only [tool.dlint] can be something else: TOML's top level is a table
        _Validator(path, "", rules).fail("tool.dlint", "a table", table)
    v.known_keys(table, KEYS, "")
    levels = v.levels(table.get("levels", {}))
    off = tuple(code for code, level in levels.items() if level is None)
    layer = Layer(
        v.codes(table, "select") if "select" in table else None,
        v.codes(table, "extend-select"),
        v.codes(table, "ignore") + v.codes(table, "extend-ignore") + off,
    )
    threshold = table.get("failure-threshold")
    if threshold is not None and (not isinstance(threshold, str) or threshold.lower() not in THRESHOLDS):
        v.fail("failure-threshold", f"one of {', '.join(THRESHOLDS)}", threshold)
    run_shellcheck = table.get("shellcheck")
    if run_shellcheck is not None and not isinstance(run_shellcheck, bool):
        v.fail("shellcheck", "true or false", run_shellcheck)
    return Config(
        path=path,
        layer=layer,
        levels={code: level for code, level in levels.items() if level is not None},
        failure_threshold=threshold.lower() if threshold else None,
        exclude=v.strings(table, "exclude"),
        per_file_ignores=v.per_file_ignores(table.get("per-file-ignores", {})),
        options=v.options(table.get("rules", {})),
        shellcheck=run_shellcheck,
        targets=v.strings(table, "targets"),
    )


KEYS = (
    "select", "extend-select", "ignore", "extend-ignore", "levels", "failure-threshold",
    "exclude", "per-file-ignores", "rules", "shellcheck", "targets",
)
_OPTION_TYPES = {
    "str": lambda x: isinstance(x, str),
    "bool": lambda x: isinstance(x, bool),
    "size": non_negative_int,
    "list[str]": lambda x: isinstance(x, list) and all(isinstance(i, str) for i in x),
    "dict[str,str]": lambda x: isinstance(x, dict) and all(isinstance(i, str) for i in x.values()),
}
_OPTION_WORDS = {
    "str": "a string", "bool": "true or false", "size": "a number of bytes (0 or more)",
    "list[str]": "a list of strings", "dict[str,str]": "a table of strings",
}


class _Validator:
    def __init__(self, path: str, prefix: str, rules: dict[str, Rule]) -> None:
        self.path = path
        self.prefix = prefix  # "tool.dlint." in a pyproject.toml
        self.rules = rules

    def fail(self, key: str, expected: str, got: Any = ...) -> None:
        shown = "" if got is ... else f", got {_describe(got)}"
        raise ConfigError(f"{self.path}: {self.prefix}{shortened(key)}: expected {expected}{shown}")

    def known_keys(self, table: dict, allowed: Sequence[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                import difflib  # only on the error path: not worth its import on every run

                near = difflib.get_close_matches(key[:SHOWN], allowed, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else f" (expected one of: {', '.join(allowed)})"
                raise ConfigError(f"{self.path}: unknown key {self.prefix}{where}{shortened(key)}{hint}")

    def strings(self, table: dict, key: str, where: str = "") -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
            self.fail(where + key, "a list of strings", value)
        return tuple(value)

    def codes(self, table: dict, key: str, where: str = "") -> tuple[str, ...]:
        codes = tuple(canonical(c) for c in self.strings(table, key, where))
        expand(codes, self.rules, f"{self.path}: {self.prefix}{where}{key}")
        return codes

    def rule_code(self, key: str, code: str) -> str:
        if canonical(code) not in self.rules:
            raise ConfigError(f"{self.path}: {self.prefix}{shortened(key)}: unknown rule code "
                              f"{shortened(code, quote=True)}; `dlint rules` lists them")
        return canonical(code)

    def levels(self, table: Any) -> dict[str, Level | None]:
        """code -> level; None for "off"."""
        if not isinstance(table, dict):
            self.fail("levels", 'a table of rule code = "error" | "warning" | "info" | "style" | "off"', table)
        out: dict[str, Level | None] = {}
        for code, level in table.items():
            code = code.upper() if code.upper() in SHELLCHECK_CODES else self.rule_code(f"levels.{code}", code)
            if not isinstance(level, str) or level.lower() not in ("error", "warning", "info", "style", OFF):
                self.fail(f"levels.{code}", '"error", "warning", "info", "style" or "off"', level)
            out[code] = None if level.lower() == OFF else Level.parse(level)
        return out

    def per_file_ignores(self, table: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(table, dict):
            self.fail("per-file-ignores", "a table of glob = [rule codes]", table)
        return tuple((glob, self.codes(table, glob, "per-file-ignores.")) for glob in table)

    def options(self, table: Any) -> dict[str, dict[str, Any]]:
        if not isinstance(table, dict):
            self.fail("rules", "a table of [rules.<CODE>] tables", table)
        out: dict[str, dict[str, Any]] = {}
        for code, settings in table.items():
            rule = self.rules.get(self.rule_code(f"rules.{code}", code))
            key = f"rules.{code}"
            if not isinstance(settings, dict):
                self.fail(key, "a table of settings", settings)
            if not rule.options:
                raise ConfigError(f"{self.path}: {self.prefix}{key}: rule {rule.code} has no settings")
            self.known_keys(settings, tuple(rule.options), key + ".")
            for name, value in settings.items():
                kind = rule.options[name]
                if not _OPTION_TYPES[kind](value):
                    self.fail(f"{key}.{name}", _OPTION_WORDS[kind], value)
            out[rule.code] = dict(settings)
        return out


def expand(selectors: Iterable[str], rules: dict[str, Rule], where: str) -> set[str]:
    """Codes named by exact codes, prefixes (`DL30`, `SC2`) or `ALL`; an unmatched one is an error."""
    out: set[str] = set()
    for sel in selectors:
        sel = canonical(sel)
        if sel == "ALL":
            out.update(rules)
            out.update(SHELLCHECK_CODES)
            continue
        if sel in rules or sel in SHELLCHECK_CODES:  # the common case, without a scan
            out.add(sel)
            continue
        matched = {c for c in (*rules, *SHELLCHECK_CODES) if c.startswith(sel)} if sel else set()
        if not matched:
            raise ConfigError(f"{where}: unknown rule code or prefix {shortened(sel, quote=True)}; "
                              "`dlint rules` lists them")
        out |= matched
    return out


def split_codes(values: Iterable[str] | None) -> tuple[str, ...] | None:
    """`--select A,B --select C` -> ("A", "B", "C"); None when the flag was not given."""
    if values is None:
        return None
    return tuple(part.strip() for v in values for part in v.split(",") if part.strip())


def _threshold(name: str, where: str) -> Level | None:
    name = name.strip().lower()
    if name not in THRESHOLDS:
        raise ConfigError(f"{where}: expected one of {', '.join(THRESHOLDS)}, got {shortened(name, quote=True)}")
    return None if name == "none" else Level.parse(name)


def _describe(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a table"
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(type(value), "a value")
    if type(value) is int and value.bit_length() > 64:  # TOML's 0x form has no digit limit; repr() past 4,300 raises
        return f"{kind} of {value.bit_length()} bits"
    return f"{kind} {shortened(value, quote=True)}" if isinstance(value, str) else f"{kind} {value!r}"
