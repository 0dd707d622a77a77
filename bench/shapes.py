"""Hostile Dockerfile shapes that grow with n: each must lint in time linear (or n log n) in n.

Shared by bench/scaling.py (time ratios at n and 4n) and tests/test_scaling.py (a hang guard).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

Files = dict[str, str]  # a build context: path -> text, "Dockerfile" among them
# A .dlint.toml that lifts the size limit on one RUN's script (64 KiB), so that the shapes
# measure the shell walk itself at sizes past it.
NO_SIZE_LIMIT = "[rules.DL1000]\nmax-script-size = 1_000_000_000\n"

Shape = Callable[[int], "str | Files"]


def write(made: str | Files, directory: Path) -> Path:
    """Write a shape's Dockerfile (and its context, when it has one) into `directory`; the Dockerfile's path."""
    files = {"Dockerfile": made} if isinstance(made, str) else made
    for name, text in files.items():
        os.makedirs((directory / name).parent, exist_ok=True)  # not Path.mkdir: it recurses once per level
        (directory / name).write_text(text, encoding="utf-8")
    return directory / "Dockerfile"


def is_tree(made: str | Files) -> bool:
    """A git work tree whose .gitignore is the shape: what grows is the directory search, not a lint."""
    return isinstance(made, dict) and ".gitignore" in made


def arg_stage_names(n: int) -> str:
    """Variables in an image reference against a stage name longer than it, so that the name is
    compared, not refused on its length (was exponential in the variables: 12 took 45 s)."""
    stage = "a" * (2 * n + 40)
    return f"ARG X\nFROM scratch AS {stage}\nFROM {'a${X}' * n}b\nCOPY --from={'a${X}' * n}b / /\n"


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


def updating_installs(n: int) -> str:
    """RUN after RUN updating and installing, each a DL3009 with a fix (each fix asked about the RUNs after it)."""
    return "FROM debian\n" + "RUN apt-get update && apt-get install -y curl\n" * n


def fixable_findings(n: int) -> str:
    return "FROM debian\n" + "".join(f"MAINTAINER m{i}\nRUN apt-get install -y curl{i}\n" for i in range(n))


def duplicate_packages(n: int) -> str:
    return "FROM debian\nRUN apt-get install -y " + "curl " * n + "\n"


def long_line(n: int) -> str:
    """One RUN line of n words (50 MB is about 8 million)."""
    return "FROM debian\nRUN echo " + "word " * n + "\n"


def broken_subshells(n: int) -> str:
    """`(a) (a) ...`: tree-sitter's error recovery lexed the rest of the script again at each token
    (500 KB took 158 s); now the parse stops at its re-reading budget (DL1000)."""
    return "FROM debian\nRUN echo " + " \\\n".join("(a) " * 100 for _ in range(n // 100)) + "\n"


def open_pipeline(n: int) -> str:
    """n commands piped and nothing after the last `|`: quadratic memory in tree-sitter (8,000 took
    640 MB); now past 1,000 `|` the script is not parsed (DL1000)."""
    return "FROM debian\nRUN echo " + " \\\n".join("a | " * 100 for _ in range(n // 100)) + "\n"


def shifts(n: int) -> str:
    """`$((1<<1<<1...))`: tree-sitter's heredoc scanner spent time on each `<<` in proportion to the
    ones before it (50,000 took 1.3 s); now past 1,000 `<<` the script is not parsed (DL1000)."""
    return "FROM debian\nRUN echo $((1" + " \\\n".join("<<1" * 100 for _ in range(n // 100)) + "))\n"


def instructions(n: int) -> str:
    return "FROM debian\n" + "".join(f"RUN cd /d{i} && apt-get install curl{i}\nEXPOSE {i}\n" for i in range(n))


def undefined_vars(n: int) -> str:
    """Thousands of ENV, then thousands of uses of names none of them sets (each gets a spelling hint)."""
    env = "".join(f"ENV VAR{i}=x\n" for i in range(n))
    return "FROM debian\n" + env + "".join(f"LABEL l{i}=$VAT{i}\n" for i in range(n))


def undefined_from_args(n: int) -> str:
    """Thousands of global ARGs, then thousands of FROM lines naming undeclared ones."""
    return "".join(f"ARG GLOBAL{i}=x\n" for i in range(n)) + "".join(f"FROM debian:$GLOBAT{i}\n" for i in range(n))


def global_args_and_a_stage_name(n: int) -> str:
    """Thousands of global ARGs, a named stage, then a FROM with `$`: the parser expands each ARG's
    default to look the name up among the stages (each was handed a copy of all the defaults before it)."""
    return "ARG B=base\n" + "".join(f"ARG A{i}=$B\n" for i in range(n)) + "FROM scratch AS base\nFROM $A1\n"


def variable_chain(n: int) -> str:
    """`ENV A1=$A0 A2=$A1 ...`: each value defined through the one before."""
    return "FROM debian\nENV A0=x " + " ".join(f"A{i}=$A{i - 1}" for i in range(1, n)) + "\nRUN echo $A0\n"


def doubling_variables(n: int) -> str:
    """`A1=$A0$A0`, `A2=$A1$A1`: n lines whose values would be 2**n long, in ARG and ENV."""
    args = "".join(f"ARG G{i}=$G{i - 1}$G{i - 1}\n" for i in range(1, n))
    env = "".join(f"ENV E{i}=$E{i - 1}$E{i - 1}\n" for i in range(1, n))
    return f"ARG G0=ab\n{args}FROM debian:$G{n - 1}\nENV E0=ab\n{env}RUN apt-get install $E{n - 1}\n"


def long_value_copies(n: int) -> str:
    """One 32 KiB value made by doubling, then n ENV and n ARG copies of it (each copy was kept whole)."""
    doubled = "".join(f"ARG B{i}=$B{i - 1}$B{i - 1}\n" for i in range(1, 15))
    args = "".join(f"ARG A{i}=$B14\n" for i in range(n))
    return f"ARG B0=aa\n{doubled}FROM scratch\nARG B14\n{args}" + "".join(f"ENV E{i}=$B14\n" for i in range(n))


def stages_from_a_long_default(n: int) -> str:
    """n stages `FROM $B14` of a 32 KiB default: the reference pattern read each in milliseconds."""
    doubled = "".join(f"ARG B{i}=$B{i - 1}$B{i - 1}\n" for i in range(1, 15))
    return f"ARG B0=aa\n{doubled}" + "FROM $B14\n" * n


def heredoc_names(n: int) -> str:
    """One RUN of n differently named heredocs, a marker a line (each name was a pattern compiled)."""
    markers = " \\\n ".join(f"<<E{i}" for i in range(n))
    return f"FROM a\nRUN cat {markers}\n" + "".join(f"body\nE{i}\n" for i in range(n))


def many_flags(n: int) -> str:
    """Thousands of flags on one COPY (unknown ones, each with a spelling hint) and one RUN."""
    copy = " ".join(f"--chmown{i}=x" for i in range(n))
    run = " ".join(f"--mount=type=cache,target=/c{i},id=c{i}" for i in range(n))
    return f"FROM debian\nCOPY {copy} a b\nRUN {run} apt-get install -y curl\n"


def mount_runs(n: int) -> str:
    """Thousands of RUNs, each with cache, secret and bind mounts."""
    run = "RUN --mount=type=cache,target=/var/cache/apt --mount=type=secret,id=s{0} --mount=type=bind,from=b,target=/b{0} apt-get install -y x{0}\n"
    return "FROM debian AS b\nFROM debian\n" + "".join(run.format(i) for i in range(n))


def dockerignore_copies(n: int) -> Files:
    """A large .dockerignore (literal and wildcard patterns) next to a file of many COPY lines."""
    ignore = "".join(f"build/out{i}\n**/*.tmp{i}\n" for i in range(n))
    copies = "".join(f"COPY src/file{i} /app/{i}\n" for i in range(n))
    return {"Dockerfile": "FROM debian\n" + copies, ".dockerignore": ignore}


def downloads(n: int) -> str:
    """Thousands of `curl | sh` RUNs, and one RUN chaining thousands of downloads."""
    runs = "".join(f"RUN curl http://example.com/i{i}.sh | sh\n" for i in range(n))
    chain = " && ".join(f"wget http://example.com/a{i}.tar.gz && tar xf a{i}.tar.gz" for i in range(n))
    return f"FROM debian\n{runs}RUN {chain}\n"


def downloads_kept(n: int) -> str:
    """One RUN chaining thousands of downloads that are never unpacked, checked or removed."""
    chain = " && ".join(f"curl -o a{i}.tar.gz http://example.com/a{i}.tar.gz" for i in range(n))
    return f"FROM debian\nRUN {chain} && ls\n"


def downloads_verified(n: int) -> str:
    """Thousands of signature downloads, each verified later in the same RUN, keys fetched over http."""
    fetch = " && ".join(f"wget http://example.com/a{i}.tar.gz.asc" for i in range(n))
    verify = " && ".join(f"gpg --verify a{i}.tar.gz.asc" for i in range(n))
    return f"FROM debian\nRUN {fetch} && {verify}\n"


def installs_and_removals(n: int) -> str:
    """One RUN of thousands of pip and apt installs, each followed by an `rm -rf` of something else and a purge."""
    steps = (f"pip install --extra-index-url http://x/{i} p{i} && apt-get install -y a{i} && rm -rf /tmp/t{i}"
             for i in range(n))
    return "FROM debian\nRUN " + " && ".join(steps) + " && pip cache purge\n"


def assignments_in_a_list(n: int) -> str:
    """One RUN of thousands of `D=$(mktemp -d)` joined by `&&`: a deep list, each assignment a variable binding."""
    return "FROM debian\nRUN " + " && ".join(f"D{i}=$(mktemp -d)" for i in range(n)) + "\n"


def expose_protocols(n: int) -> str:
    """One EXPOSE of thousands of ports with upper-case protocols, each a finding with a fix."""
    return "FROM debian\nEXPOSE " + " ".join(f"{i}/TCP" for i in range(n)) + "\n"


def expose_protocols_non_ascii(n: int) -> str:
    """The same after an emoji, so that each finding's UTF-8 and UTF-16 columns are counted (each
    re-encoded the line up to it: 8,000 took 3.8 s)."""
    return "FROM debian\nEXPOSE \U0001f600 " + " ".join(f"{i}/TCP" for i in range(n)) + "\n"


def sh_c_blanks_before_a_quote(n: int) -> str:
    """An `sh -c` install whose subcommand is followed by n blanks and a quote: whether an option may go in
    after it was a regex of blanks around a blank, which backtracked quadratically (40,000: 37 s)."""
    return 'FROM debian\nRUN sh -c "apt-get install' + " " * n + '""curl"\n'


def stage_chain(n: int) -> str:
    """Each stage FROM the one before, copying from it, with a relative WORKDIR and a pip install."""
    body = "COPY --from=s{p} /a /a\nWORKDIR rel{i}\nCOPY x y{i}\nRUN pip install p{i}\n"
    return "FROM scratch AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\n" + body.format(p=i - 1, i=i) for i in range(1, n))


def stage_arg_names(n: int) -> str:
    """Thousands of stages, each FROM a name with an ARG that has no default (it could name any of them)."""
    return "ARG V\n" + "".join(f"FROM debian AS b{i}\nFROM b$V AS c{i}\n" for i in range(n))


GIT = {".git/HEAD": "ref: refs/heads/main\n"}  # enough of a repository for dlint to read its .gitignore


def gitignore_long_line(n: int) -> Files:
    """One .gitignore line of n characters before the one that matters (pathspec translates a line
    in time quadratic in its length: 800 KB took 12 s)."""
    return {**GIT, ".gitignore": "a" * n + "\nbuild/\n", "Dockerfile": "FROM debian:12\n", "build/Dockerfile": "FROM debian\n"}


def gitignore_lines(n: int) -> Files:
    """n pairs of .gitignore lines, a wildcard and a negation, over a few directories."""
    ignore = "".join(f"p{i}/*/x{i}\n!keep{i}\n" for i in range(n))
    return {**GIT, ".gitignore": ignore, "Dockerfile": "FROM debian:12\n", "p1/q/x1/Dockerfile": "FROM debian\n"}


def gitignore_double_stars_deep(n: int) -> Files:
    """`a/**/a/**/.../b` (ten `**`) against n branches 40 directories deep (each `**` multiplied the
    time by ~6 on such a path; git ls-files itself ran 11 minutes on one branch 160 deep)."""
    files = {**GIT, ".gitignore": "a/**/" * 10 + "b\n", "Dockerfile": "FROM debian:12\n"}
    for i in range(n):
        deep = f"x{i}/" + "/".join(["a"] * 40)
        files[f"{deep}/Dockerfile"] = "FROM debian:12\n"
        files[f"{deep}/b/Dockerfile"] = "FROM debian\n"
    return files


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
    "update and install, RUN after RUN (--fix)": (updating_installs, 4000, True),
    "duplicate packages": (duplicate_packages, 5000, False),
    "long RUN line": (long_line, 20000, False),
    "broken subshells side by side": (broken_subshells, 40000, False),
    "an open pipeline": (open_pipeline, 40000, False),
    "shifts in one arithmetic expansion": (shifts, 40000, False),
    "instructions": (instructions, 1000, False),
    "undefined vars vs many ENV": (undefined_vars, 1000, False),
    "undeclared FROM args": (undefined_from_args, 1000, False),
    "global ARGs before a FROM with $": (global_args_and_a_stage_name, 8000, False),
    "ENV defined through a chain": (variable_chain, 4000, False),
    "doubling variables": (doubling_variables, 160, False),
    "copies of a long value": (long_value_copies, 4000, False),
    "stages FROM a long default": (stages_from_a_long_default, 2000, False),
    "heredoc names on one RUN": (heredoc_names, 8000, False),
    "flags on one instruction": (many_flags, 2000, False),
    "RUNs with mounts": (mount_runs, 1000, False),
    ".dockerignore vs COPY lines": (dockerignore_copies, 1000, False),
    "downloads": (downloads, 1000, False),
    "downloads never unpacked": (downloads_kept, 1000, False),
    "downloads verified later": (downloads_verified, 1000, False),
    "EXPOSE of many /TCP ports": (expose_protocols, 4000, False),
    "EXPOSE of many /TCP ports after an emoji": (expose_protocols_non_ascii, 6000, False),
    "installs, each a later rm": (installs_and_removals, 1000, False),
    "assignments in one && list": (assignments_in_a_list, 2000, False),
    "sh -c: blanks before a quote": (sh_c_blanks_before_a_quote, 160_000, False),
    "stages FROM the one before": (stage_chain, 500, False),
    "FROM b$V vs many stages": (stage_arg_names, 500, False),
    ".gitignore: one long line": (gitignore_long_line, 400_000, False),
    ".gitignore: many lines": (gitignore_lines, 2000, False),
    ".gitignore: ** chain, deep dirs": (gitignore_double_stars_deep, 40, False),
}
