"""What a check sees: the parsed file plus lazily computed, shared views of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlint.lint.finding import Fix, Violation
from dlint.model import Dockerfile, Instruction
from dlint.parsing import packages, shell


@dataclass
class Context:
    dockerfile: Dockerfile
    options: dict[str, Any] = field(default_factory=dict)  # rule settings from config
    _scripts: dict[int, shell.Script | None] = field(default_factory=dict, repr=False)

    def script(self, instr: Instruction) -> shell.Script | None:
        """The shell view of a RUN, parsed once and shared by every rule."""
        if instr.index not in self._scripts:
            self._scripts[instr.index] = shell.run_script(self.dockerfile, instr)
        return self._scripts[instr.index]

    def package_commands(self, instr: Instruction) -> tuple[packages.PackageCommand, ...]:
        script = self.script(instr)
        return packages.package_commands(script) if script else ()

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
