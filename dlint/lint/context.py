"""What a check sees: the parsed file plus lazily computed, shared views of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dlint.lint.finding import Fix, Violation
from dlint.lint.suppress import Pragmas, read_pragmas
from dlint.model import Dockerfile, Instruction
from dlint.parsing import packages, shell


@dataclass
class Context:
    dockerfile: Dockerfile
    options: dict[str, Any] = field(default_factory=dict)  # rule settings from config
    _scripts: dict[int, shell.Script | None] = field(default_factory=dict, repr=False)
    _packages: dict[int, tuple[packages.PackageCommand, ...]] = field(default_factory=dict, repr=False)

    def script(self, instr: Instruction) -> shell.Script | None:
        """The shell view of a RUN, parsed once and shared by every rule."""
        if instr.index not in self._scripts:
            df = self.dockerfile
            in_force = self.shells[instr.index]
            chosen = self.pragmas.shell_for(df, instr, in_force)  # `# hadolint shell=powershell`
            self._scripts[instr.index] = shell.run_script(df, instr, chosen or shell.shell_of(in_force))
        return self._scripts[instr.index]

    @cached_property
    def shells(self) -> list[Instruction | None]:
        """The SHELL instruction in force at each instruction, computed once per file."""
        return shell.shells_in_force(self.dockerfile)

    @cached_property
    def pragmas(self) -> Pragmas:
        """The file's `# dlint`/`# hadolint` pragmas: suppressions, shell= and their mistakes."""
        return read_pragmas(self.dockerfile)

    def package_commands(self, instr: Instruction) -> tuple[packages.PackageCommand, ...]:
        """The RUN's package-manager commands, read once: most package rules ask for them."""
        if instr.index not in self._packages:
            script = self.script(instr)
            self._packages[instr.index] = packages.package_commands(script) if script else ()
        return self._packages[instr.index]

    def runs(self) -> list[Instruction]:
        return [i for i in self.dockerfile.instructions if i.keyword == "RUN"]

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
