"""Hostile Dockerfile shapes that grow with n: each must lint in time linear (or n log n) in n.

Shared by bench/scaling.py (time ratios at n and 4n) and tests/test_scaling.py (a hang guard).
"""

from __future__ import annotations

from collections.abc import Callable

Shape = Callable[[int], str]


def arg_stage_names(n: int) -> str:
    """Variables in an image reference against a stage name (was exponential in the variables)."""
    stage = "a" * 40
    return f"ARG X\nFROM scratch AS {stage}\nFROM {'a${X}' * n}b\n"


def env_pairs(n: int) -> str:
    return "FROM scratch\nENV " + " ".join(f"a{i}=x" for i in range(n)) + "\n"


def shell_pragmas(n: int) -> str:
    return "FROM debian\n" + "".join(f"# hadolint shell=/bin/sh{i % 3}\nRUN echo {i}\n" for i in range(n))


def ignore_pragmas(n: int) -> str:
    return "FROM debian\n" + "".join(f"# hadolint ignore=DL3003\nRUN cd /tmp{i}\n" for i in range(n))


def pragma_codes(n: int) -> str:
    codes = ",".join(f"DL{3000 + i % 1000}" for i in range(n))
    return f"FROM debian\n# hadolint ignore={codes}\nRUN cd /tmp && apt-get install curl\n"


def run_and(n: int) -> str:
    return "FROM debian\nRUN " + " && ".join(f"echo {i}" for i in range(n)) + "\n"


def run_semicolon_lines(n: int) -> str:
    return "FROM debian\nRUN " + " ; \\\n    ".join(f"cd /d{i}" for i in range(n)) + "\n"


def heredoc_commands(n: int) -> str:
    return "FROM debian\nRUN <<EOF\n" + "".join(f"cd /d{i}\n" for i in range(n)) + "EOF\n"


def heredoc_markers(n: int) -> str:
    markers = " ".join(f"<<E{i}" for i in range(n))
    return f"FROM debian\nRUN cat {markers}\n" + "".join(f"x\nE{i}\n" for i in range(n))


def command_substitution(n: int) -> str:
    return "FROM debian\nRUN echo " + "$(" * n + "x" + ")" * n + "\n"


def parameter_nesting_heredoc(n: int) -> str:
    return "FROM debian\nRUN <<EOF echo " + "${a:-" * n + "x" + "}" * n + "\nEOF\n"


def parameter_nesting_quoted(n: int) -> str:
    return 'FROM debian\nRUN <<EOF echo "' + "${a:-" * n + "x" + "}" * n + '"\nEOF\n'


def stages(n: int) -> str:
    return "".join(f"FROM debian AS s{i}\nCOPY --from=s{max(i - 1, 0)} /a /a\n" for i in range(n))


def apt_update_runs(n: int) -> str:
    return "FROM debian\n" + "RUN apt-get update\n" * n


def fixable_findings(n: int) -> str:
    return "FROM debian\n" + "".join(f"MAINTAINER m{i}\nRUN apt-get install -y curl{i}\n" for i in range(n))


def duplicate_packages(n: int) -> str:
    return "FROM debian\nRUN apt-get install -y " + "curl " * n + "\n"


def long_line(n: int) -> str:
    """One RUN line of n words (50 MB is about 8 million)."""
    return "FROM debian\nRUN echo " + "word " * n + "\n"


def instructions(n: int) -> str:
    return "FROM debian\n" + "".join(f"RUN cd /d{i} && apt-get install curl{i}\nEXPOSE {i}\n" for i in range(n))


# name -> (generator, n for the hang-guard test, whether it runs under --fix)
SHAPES: dict[str, tuple[Shape, int, bool]] = {
    "ARG in image vs stage name": (arg_stage_names, 400, False),
    "ENV pairs": (env_pairs, 4000, False),
    "shell= pragmas": (shell_pragmas, 1000, False),
    "ignore pragmas": (ignore_pragmas, 1000, False),
    "one pragma, many codes": (pragma_codes, 20000, False),
    "RUN with &&": (run_and, 2000, False),
    "RUN with ; over lines": (run_semicolon_lines, 2000, False),
    "heredoc commands": (heredoc_commands, 2000, False),
    "heredoc markers": (heredoc_markers, 2000, False),
    "$( nesting": (command_substitution, 20000, False),
    "${a:- nesting in heredoc": (parameter_nesting_heredoc, 5000, False),
    '${a:- nesting in "heredoc"': (parameter_nesting_quoted, 5000, False),
    "stages": (stages, 1000, False),
    "apt-get update RUNs": (apt_update_runs, 1000, False),
    "fixable findings (--fix)": (fixable_findings, 300, True),
    "duplicate packages": (duplicate_packages, 5000, False),
    "long RUN line": (long_line, 20000, False),
    "instructions": (instructions, 1000, False),
}
