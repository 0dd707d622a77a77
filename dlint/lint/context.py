"""What a check sees: the parsed file plus lazily computed, shared views of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, TypeVar

from dlint.lint.environment import Environment
from dlint.lint.finding import Fix, Violation
from dlint.lint.suppress import Pragmas, read_pragmas
from dlint.model import Dockerfile, Instruction, Stage
from dlint.parsing import expansion, packages, shell

T = TypeVar("T")


@dataclass
class Context:
    """One file's lint: the model, the rule settings and the views rules share, each built once."""

    dockerfile: Dockerfile
    options: dict[str, Any] = field(default_factory=dict)  # rule settings from config
    _scripts: dict[tuple[int, bool], shell.Script | None] = field(default_factory=dict, repr=False)
    _packages: dict[tuple[int, bool], tuple[packages.PackageCommand, ...]] = field(default_factory=dict, repr=False)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)  # per-file tables rules build once
    # Shell views kept from an earlier lint of the same buffer (the language server's): a RUN whose
    # text, place and shell are unchanged is not parsed again. None: parse every RUN.
    reuse: ScriptCache | None = field(default=None, repr=False)
    # RUNs whose shell text tree-sitter could not be trusted with (shell.TooCostly): the engine
    # reports each as DL1000, and their view is None, as for a shell dlint does not read.
    unanalysed: list[tuple[Instruction, str]] = field(default_factory=list, repr=False)

    def is_trigger(self, instr: Instruction) -> bool:
        """An ONBUILD's instruction: it runs in the builds FROM this image, not in this one."""
        return self.key(instr)[1]

    def key(self, instr: Instruction) -> tuple[int, bool]:
        """Per-instruction caches key on this: a trigger shares its ONBUILD's index, so the key tells the two
        apart (whether `instr` is a trigger is found here: every look-up of a shared view asks)."""
        index, instructions = instr.index, self.dockerfile.instructions
        return index, index < len(instructions) and instructions[index].trigger is instr

    def shell(self, instr: Instruction) -> tuple[str, ...]:
        """The shell a RUN runs in: the SHELL in force, unless a `# hadolint shell=` pragma says otherwise."""
        in_force = self.shells[instr.index]
        return self.pragmas.shell_for(self.dockerfile, instr, in_force) or self.shell_in_force(instr)

    def shell_in_force(self, instr: Instruction) -> tuple[str, ...]:
        """What the build runs a RUN with (a pragma aside): its flags (`-e`) decide how a fix may append."""
        return shell.shell_of(self.shells[instr.index], self.dockerfile.directives.escape)

    def script(self, instr: Instruction) -> shell.Script | None:
        """The shell view of a RUN, parsed once and shared by every rule."""
        key = self.key(instr)
        try:
            return self._scripts[key]  # dozens of rules ask for each RUN's view: one look-up when it is there
        except KeyError:
            pass
        run_shell = self.shell(instr)
        max_size = self.options.get("DL1000", {}).get("max-script-size", shell.MAX_SCRIPT_SIZE)
        try:
            if self.reuse is None:
                found = shell.run_script(self.dockerfile, instr, run_shell, max_size)
            else:
                found = self.reuse.script(self.dockerfile, instr, run_shell, key[1], max_size)
        except shell.TooCostly as exc:
            found = None
            self.unanalysed.append((instr, str(exc)))
        self._scripts[key] = found
        return found

    @cached_property
    def shells(self) -> list[Instruction | None]:
        """The SHELL instruction in force at each instruction, computed once per file."""
        return shell.shells_in_force(self.dockerfile)

    @cached_property
    def environment(self) -> Environment:
        """ENV and ARG values per stage, for `$NAME` package words: read once per file, when first asked."""
        return Environment(self.dockerfile)

    @cached_property
    def variable_text(self) -> str:
        """The text of every ENV and ARG of the file, read once: for rules that must know whether a
        path or a setting may be held in a variable, whatever its value."""
        df = self.dockerfile
        return "\n".join(df.text_of(i) for i in df.instructions if i.keyword in ("ENV", "ARG"))

    def env_value(self, instr: Instruction, name: str) -> str | None:
        """What ENV or ARG give `$name` in `instr`'s shell; None when unknown."""
        return self.environment.value(instr.stage, instr.index, name)

    @cached_property
    def pragmas(self) -> Pragmas:
        """The file's `# dlint`/`# hadolint` pragmas: suppressions, shell= and their mistakes."""
        return read_pragmas(self.dockerfile)

    def package_commands(self, instr: Instruction) -> tuple[packages.PackageCommand, ...]:
        """The RUN's package-manager commands, read once: most package rules ask for them."""
        key = self.key(instr)
        found = self._packages.get(key)
        if found is None:
            script = self.script(instr)
            outer = expansion.nothing if key[1] else partial(self.env_value, instr)
            found = self._packages[key] = packages.package_commands(script, outer) if script else ()
        return found

    def per_instruction(self, read: Callable[[Instruction, str], T], instr: Instruction) -> T:
        """`read(instr, escape)` once per instruction, shared by every rule that asks: a dozen rules
        read the operands of each COPY, ENV or LABEL. The result is shared: callers do not change it."""
        key = (read, *self.key(instr))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = read(instr, self.dockerfile.directives.escape)
        return found

    def per_file(self, build: Callable[[Context], T]) -> T:
        """`build(self)` once per file, shared by every rule that asks (kept under `build` itself, so it
        must be a module-level function, not a lambda made anew at each call)."""
        try:
            return self.memo[build]
        except KeyError:
            found = self.memo[build] = build(self)
            return found

    def next_run(self, stage: Stage, instr: Instruction, test: Callable[[Context, Instruction], bool]) -> Instruction | None:
        """The first RUN of `stage` after `instr` that passes `test`: one backward pass per stage
        and test, so asking for every RUN stays linear."""
        table = self.memo.get((test, stage.index))
        if table is None:
            table, nxt = {}, None
            for r in reversed(stage.instructions):
                table[r.index] = nxt
                if r.keyword == "RUN" and test(self, r):
                    nxt = r
            self.memo[(test, stage.index)] = table
        return table.get(instr.index)

    def runs(self) -> tuple[Instruction, ...]:
        """Every RUN in file order, `ONBUILD RUN` triggers included: what a RUN rule finds in a
        trigger lands on the ONBUILD, since the trigger carries its index. Listed once per file."""
        return self.per_file(_runs)

    def all_package_commands(self) -> tuple[tuple[Instruction, packages.PackageCommand], ...]:
        """Every RUN's package-manager commands in file order, listed once per file: the package
        rules each filter it by manager and subcommand."""
        return self.per_file(_all_package_commands)

    def violation(
        self,
        code: str,
        message: str,
        instr: Instruction,
        start: int | None = None,
        end: int | None = None,
        fix: Fix | None = None,
    ) -> Violation:
        """A violation on `instr`, at [start, end) or on the whole instruction."""
        return Violation(
            code=code,
            message=message,
            start_offset=instr.start_offset if start is None else start,
            end_offset=instr.end_offset if end is None else end,
            instruction=instr.index,
            fix=fix,
        )


class ScriptCache:
    """Shell views by what they depend on: the RUN's text and offset, its shell, the escape
    character, the script size limit. Each lint keeps only the entries it used, so the cache is
    bounded by one file."""

    def __init__(self) -> None:
        self._old: dict[tuple, shell.Script | None] = {}
        self._new: dict[tuple, shell.Script | None] = {}

    def script(self, df: Dockerfile, instr: Instruction, run_shell: tuple[str, ...], trigger: bool,
               max_size: int) -> shell.Script | None:
        key = (df.directives.escape, run_shell, trigger, max_size, instr.start_offset, df.text_of(instr))
        if key in self._new:
            return self._new[key]
        found = self._old[key] if key in self._old else shell.run_script(df, instr, run_shell, max_size)
        self._new[key] = found
        return found

    def next_lint(self) -> None:
        """Start a lint: what the previous one used is what may be reused."""
        self._old, self._new = self._new, {}


def _runs(ctx: Context) -> tuple[Instruction, ...]:
    runs = (instr.trigger if instr.keyword == "ONBUILD" else instr for instr in ctx.dockerfile.instructions)
    return tuple(run for run in runs if run is not None and run.keyword == "RUN")


def _all_package_commands(ctx: Context) -> tuple[tuple[Instruction, packages.PackageCommand], ...]:
    return tuple((instr, pc) for instr in ctx.runs() for pc in ctx.package_commands(instr))
