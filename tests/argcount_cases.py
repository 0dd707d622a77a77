"""Dockerfiles around the argument checks of BuildKit's instructions package (dlint/parsing/argcounts.py), each
with dlint's DL1000 message and what a real build said.

Observed with Docker Engine 20.10.24 (Debian's docker.io, its built-in dockerfile frontend), `DOCKER_BUILDKIT=1
docker build --no-cache` of FROM_LINE + the text (a text that starts with FROM is the whole file), the context
holding files `a` and `b`. BuildKit's column says what the build said, None for a build that succeeded; its
errors come from three places:
  instructions  "dockerfile parse error line N: ..." (instructions.Parse: every stage, built or not)
  parser        the parser's own (ENV A, LABEL a), before any instruction is typed
  dispatch      while the stage is built, after variables expand: only in a stage the target needs, so dlint does
                not report these (`VOLUME ""`, `STOPSIGNAL SIG TERM`), a missed error rather than a false one
This engine's flag error reads "Unknown flag: bogus"; newer BuildKit's "unknown flag: bogus"; dlint's
"unknown flag: --bogus".
"""

FROM_LINE = "FROM dlint-test/busybox:latest\n"
B = FROM_LINE
COPY_ONE = "COPY requires at least two arguments, but only one was provided. Destination could not be determined"
ADD_ONE = "ADD requires at least two arguments, but only one was provided. Destination could not be determined"
EMPTY_VOLUME = "VOLUME specified can not be an empty string"
UNKNOWN_FLAG = "Unknown flag: bogus"  # this engine's wording
DLINT_UNKNOWN_FLAG = "unknown flag: --bogus"

# (name, text, dlint's DL1000 message or None, BuildKit's error or None when the build succeeded)
CASES = [
    ("copy0", "COPY\n", COPY_ONE, COPY_ONE),  # instructions
    ("copy1", "COPY a\n", COPY_ONE, COPY_ONE),  # instructions
    ("copy1_chown", "COPY --chown=a:b a\n", COPY_ONE, COPY_ONE),  # instructions: counted before the flags
    ("copy1_lower", "copy a\n", COPY_ONE, COPY_ONE),  # instructions
    ("copy1_bogus_flag", "COPY --bogus a\n", COPY_ONE, COPY_ONE),  # instructions: counted before the flags
    ("copy2", "COPY a /a\n", None, None),
    ("copy2_chown", "COPY --chown=1:1 a /a\n", None, None),
    ("copy3", "COPY a b /d/\n", None, None),
    ("copy_json1", 'COPY ["a"]\n', COPY_ONE, COPY_ONE),  # instructions
    ("copy_json2", 'COPY ["a", "/a"]\n', None, None),
    ("copy_json_empty", "COPY []\n", COPY_ONE, COPY_ONE),  # instructions
    ("add1", "ADD a\n", ADD_ONE, ADD_ONE),  # instructions
    ("add1_chmod", "ADD --chmod=755 a\n", ADD_ONE, ADD_ONE),  # instructions
    ("add2", "ADD a /a\n", None, None),
    ("add2_chown", "ADD --chown=1:1 a /a\n", None, None),
    ("expose0", "EXPOSE\n", "EXPOSE requires at least one argument", "EXPOSE requires at least one argument"),
    ("expose1", "EXPOSE 80\n", None, None),
    ("expose2", "EXPOSE 80 443/udp\n", None, None),
    ("expose_empty_var", "ARG P\nEXPOSE $P\n", None, None),  # expands to nothing: still builds
    ("expose_var", "ARG P=80\nEXPOSE $P\n", None, None),
    ("expose_bogus_flag", "EXPOSE --bogus 80\n", DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # instructions
    ("workdir0", "WORKDIR\n", "WORKDIR requires exactly one argument", "WORKDIR requires exactly one argument"),
    ("workdir0_bogus_flag", "WORKDIR --bogus\n", "WORKDIR requires exactly one argument",
     "WORKDIR requires exactly one argument"),  # instructions: counted before the flags
    ("workdir1", "WORKDIR /a\n", None, None),
    ("workdir_space", "WORKDIR /a b\n", None, None),  # the parser keeps `/a b` one string
    ("workdir_quoted", 'WORKDIR "/a b"\n', None, None),
    ("workdir_json", 'WORKDIR ["/a"]\n', None, None),  # one string too
    ("workdir_empty_string", 'WORKDIR ""\n', None, None),
    ("user0", "USER\n", "USER requires exactly one argument", "USER requires exactly one argument"),
    ("user1", "USER nobody\n", None, None),
    ("user2", "USER a b\n", None, None),  # one string
    ("user_empty_string", 'USER ""\n', None, None),
    ("user2_bogus_flag", "USER --bogus a b\n", DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # instructions
    ("maintainer0", "MAINTAINER\n", "MAINTAINER requires exactly one argument",
     "MAINTAINER requires exactly one argument"),
    ("maintainer3", "MAINTAINER a b c\n", None, None),  # one string
    ("maintainer_bogus_flag", "MAINTAINER --bogus a\n", DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # instructions
    ("stopsignal0", "STOPSIGNAL\n", "STOPSIGNAL requires exactly one argument",
     "STOPSIGNAL requires exactly one argument"),
    ("stopsignal1", "STOPSIGNAL SIGTERM\n", None, None),
    ("stopsignal2", "STOPSIGNAL SIG TERM\n", None, "Invalid signal: SIG TERM"),  # dispatch: one string, no signal
    ("stopsignal_bogus_flag", "STOPSIGNAL --bogus SIGTERM\n", None, None),  # its parser reads no flags
    ("volume0", "VOLUME\n", "VOLUME requires at least one argument", "VOLUME requires at least one argument"),
    ("volume1", "VOLUME /v\n", None, None),
    ("volume2", "VOLUME /a /b\n", None, None),
    ("volume_json_empty_string", 'VOLUME [""]\n', EMPTY_VOLUME, EMPTY_VOLUME),  # instructions
    ("volume_json_space", 'VOLUME [" "]\n', EMPTY_VOLUME, EMPTY_VOLUME),  # instructions
    ("volume_json_empty", "VOLUME []\n", "VOLUME requires at least one argument",
     "VOLUME requires at least one argument"),  # instructions
    ("volume_json_bogus_flag", 'VOLUME --bogus [""]\n', DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # the flags first
    ("volume_quoted_empty", 'VOLUME ""\n', None, EMPTY_VOLUME),  # dispatch (missed: stage-dependent)
    ("volume_single_quoted_empty", "VOLUME '' /a\n", None, EMPTY_VOLUME),  # dispatch (missed)
    ("volume_empty_var", "ARG V\nVOLUME $V\n", None, EMPTY_VOLUME),  # dispatch (missed)
    ("volume_escaped_quotes", 'VOLUME \\"\\"\n', None, None),
    ("arg0", "ARG\n", "ARG requires at least one argument", "ARG requires at least one argument"),
    ("arg1", "ARG A\n", None, None),
    ("arg2", "ARG A B\n", None, None),
    ("arg_blank_name", "ARG =x\n", "ARG names can not be blank", "ARG names can not be blank"),
    ("arg_empty_value", "ARG A=\n", None, None),
    ("arg_pairs", "ARG A=1 B=2\n", None, None),
    ("arg_bogus_flag", "ARG --bogus A\n", None, None),  # its parser reads no flags
    ("arg_bogus_flag_blank_name", "ARG --bogus =x\n", "ARG names can not be blank", "ARG names can not be blank"),
    ("env0", "ENV\n", "ENV requires at least one argument", "ENV requires at least one argument"),
    ("env_name", "ENV A\n", "ENV must have two arguments", "ENV must have two arguments"),  # parser
    ("env_name_eq", "ENV A=\n", None, None),
    ("env_name_value", "ENV A b\n", None, None),
    ("env_bogus_flag", "ENV --bogus A=1\n", DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # instructions
    ("label0", "LABEL\n", "LABEL requires at least one argument", "LABEL requires at least one argument"),
    ("label_name", "LABEL a\n", "LABEL must have two arguments", "LABEL must have two arguments"),  # parser
    ("label_name_eq", "LABEL a=\n", None, None),
    ("label_name_value", "LABEL a b\n", None, None),
    ("onbuild0", "ONBUILD\n", "ONBUILD requires at least one argument", "ONBUILD requires at least one argument"),
    ("onbuild_copy1", "ONBUILD COPY a\n", None, None),  # a trigger is parsed in the build that uses the image
    ("onbuild_expose0", "ONBUILD EXPOSE\n", None, None),
    ("onbuild_run", "ONBUILD RUN true\n", None, None),
    ("onbuild_bogus_flag", "ONBUILD --bogus RUN true\n", DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),  # instructions
    ("shell0", "SHELL\n", "SHELL requires at least one argument", "SHELL requires at least one argument"),
    ("shell_shell_form", "SHELL sh -c\n", "SHELL requires the arguments to be in JSON form",
     "SHELL requires the arguments to be in JSON form"),
    ("shell_json_empty", "SHELL []\n", "SHELL requires at least one argument", "SHELL requires at least one argument"),
    ("shell_json1", 'SHELL ["sh"]\n', None, None),
    ("shell_json2", 'SHELL ["/bin/sh", "-c"]\n', None, None),
    ("shell_json_bogus_flag", 'SHELL --bogus ["sh", "-c"]\n', DLINT_UNKNOWN_FLAG, UNKNOWN_FLAG),
    ("healthcheck0", "HEALTHCHECK\n", "HEALTHCHECK requires at least one argument",
     "HEALTHCHECK requires at least one argument"),
    ("healthcheck_flag_only", "HEALTHCHECK --interval=5s\n", "HEALTHCHECK requires at least one argument",
     "HEALTHCHECK requires at least one argument"),
    ("healthcheck_none", "HEALTHCHECK NONE\n", None, None),
    ("healthcheck_none_lower", "HEALTHCHECK none\n", None, None),
    ("healthcheck_none_x", "HEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments",
     "HEALTHCHECK NONE takes no arguments"),
    ("healthcheck_interval_none", "HEALTHCHECK --interval=5s NONE\n", None, None),
    ("healthcheck_bogus_flag_none", "HEALTHCHECK --bogus NONE\n", None, None),  # NONE reads no flags
    ("healthcheck_bad_interval_none", "HEALTHCHECK --interval=bad NONE\n", None, None),
    ("healthcheck_cmd", "HEALTHCHECK CMD\n", "Missing command after HEALTHCHECK CMD",
     "Missing command after HEALTHCHECK CMD"),
    ("healthcheck_interval_cmd", "HEALTHCHECK --interval=5s CMD\n", "Missing command after HEALTHCHECK CMD",
     "Missing command after HEALTHCHECK CMD"),
    ("healthcheck_cmd_json_empty", "HEALTHCHECK CMD []\n", "Missing command after HEALTHCHECK CMD",
     "Missing command after HEALTHCHECK CMD"),
    ("healthcheck_cmd_true", "HEALTHCHECK CMD true\n", None, None),
    ("healthcheck_cmd_lower", "HEALTHCHECK cmd true\n", None, None),
    ("healthcheck_cmd_json", 'HEALTHCHECK CMD ["true"]\n', None, None),
    ("healthcheck_connect", "HEALTHCHECK CONNECT x\n", 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)',
     'Unknown type "CONNECT" in HEALTHCHECK (try CMD)'),
    ("healthcheck_connect_alone", "HEALTHCHECK CONNECT\n", 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)',
     'Unknown type "CONNECT" in HEALTHCHECK (try CMD)'),
    # instructions.Parse types every stage: a stage the build does not need fails it too
    ("unused_stage_copy1", B[:-1] + " AS unused\nCOPY a\n" + B + "RUN true\n", COPY_ONE, COPY_ONE),
    ("unbuilt_stage_copy1", B[:-1] + " AS first\nRUN true\n" + B + "COPY a\n", COPY_ONE, COPY_ONE),  # --target first
    # dispatch errors come only from the stages built
    ("unused_stage_volume_quoted_empty", B[:-1] + ' AS unused\nVOLUME ""\n' + B + "RUN true\n", None, None),
    ("unused_stage_stopsignal2", B[:-1] + " AS unused\nSTOPSIGNAL SIG TERM\n" + B + "RUN true\n", None, None),
]

TARGETS = {"unbuilt_stage_copy1": "first"}


def dockerfile(text: str) -> str:
    return text if text.startswith("FROM") else FROM_LINE + text
