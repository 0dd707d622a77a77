"""ARG and ENV rules: what variables hold and when their values exist."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dlint.lazyre import lazy
from dlint.lint.checks.operands import arg_names, pairs, with_triggers
from dlint.lint.context import Context
from dlint.lint.finding import Violation
from dlint.lint.registry import rule

# hadolint's list: names that conventionally hold credentials.
SENSITIVE_NAMES = frozenset("""
ACCESS_TOKEN APPLICATION_KEY APP_SECRET AUTH_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY BITTREX_API_KEY
BITTREX_API_SECRET CF_PASSWORD CF_USERNAME CIRCLE_TOKEN CI_DEPLOY_PASSWORD CI_DEPLOY_USER DOCKERHUB_PASSWORD
DOCKER_EMAIL DOCKER_PASSWORD DOCKER_USERNAME FACEBOOK_ACCESS_TOKEN FACEBOOK_APP_ID FACEBOOK_APP_SECRET
FIREBASE_API_TOKEN FIREBASE_TOKEN FOSSA_API_KEY GH_ENTERPRISE_TOKEN GH_TOKEN GITHUB_ENTERPRISE_TOKEN GITHUB_TOKEN
HEROKU_API_KEY HEROKU_API_USER NPM_AUTH_TOKEN NPM_TOKEN OKTA_AUTHN_GROUPID OKTA_CLIENT_ORGURL OKTA_CLIENT_TOKEN
OKTA_OAUTH2_CLIENTID OKTA_OAUTH2_CLIENTSECRET OPENAI_API_KEY OS_PASSWORD OS_USERNAME POSTGRES_PASSWORD SLACK_TOKEN
STRIPE_API_KEY STRIPE_DEVICE_NAME TRAVIS_OS_NAME TRAVIS_SECURE_ENV_VARS TRAVIS_SUDO VAULT_CLIENT_KEY VAULT_TOKEN
""".split())
SENSITIVE_PARTS = ("api_key", "client_key", "password", "private", "secret", "token", "username")


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return name.upper() in SENSITIVE_NAMES or any(part in lowered for part in SENSITIVE_PARTS)


@rule("DL3064")
def sensitive_variable(ctx: Context) -> Iterator[Violation]:
    df = ctx.dockerfile
    for keyword in ("ARG", "ENV"):
        for instr, said in with_triggers(df, keyword):
            if keyword == "ARG":
                names = ctx.per_instruction(arg_names, said)
            else:
                names = [key for key, _ in ctx.per_instruction(pairs, said)]
            for name in names:
                if is_sensitive(name.value):
                    yield ctx.violation(
                        "DL3064",
                        f"`{name.value}` looks like a secret: {keyword} values are stored in the image "
                        "history; pass it with `RUN --mount=type=secret` instead",
                        instr,
                        name.start,
                        name.end,
                    )


def references(value: str, name: str) -> bool:
    """`$name` or `${name...}` in `value` (not `$name2`)."""
    return re.search(r"\$(?:\{" + re.escape(name) + r"[}:#%/+?-]|" + re.escape(name) + r"(?![A-Za-z0-9_]))",
                     value) is not None  # fmt: skip


WORD = lazy(r"[A-Za-z0-9_]+")
REFERENCE = lazy(r"\$(?:\{([A-Za-z0-9_]+)[}:#%/+?-]|([A-Za-z0-9_]+))")


def referenced(value: str) -> set[str]:
    """Every word name `value` refers to as `$name` or `${name...}`, found in one pass."""
    return {m.group(1) or m.group(2) for m in REFERENCE.finditer(value)}


@rule("DL3044")
def env_self_reference(ctx: Context) -> Iterator[Violation]:
    """`ENV A=1 B=$A`: BuildKit expands `$A` with the value A had before this ENV.

    A name set by an earlier ARG or ENV anywhere in the file is left alone, as
    hadolint does: the reader may well mean that earlier value.
    """
    defined: set[str] = set()
    for instr in ctx.dockerfile.instructions:
        if instr.keyword == "ARG":
            defined.update(v.partition("=")[0] for v in instr.values)
        if instr.keyword != "ENV":
            continue
        kv = ctx.per_instruction(pairs, instr)
        users: dict[str, list[int]] = {}  # name -> the first two pairs whose value refers to it
        for j, (_, v) in enumerate(kv):
            for name in referenced(v.raw):
                if len(found := users.setdefault(name, [])) < 2:
                    found.append(j)
        for i, (key, _) in enumerate(kv):
            name = key.value
            if name in defined:
                continue
            if WORD.fullmatch(name):  # one look-up; other names are rare and searched for
                j = next((j for j in users.get(name, ()) if j != i), None)
                user = None if j is None else kv[j][1]
            else:
                user = next((v for j, (_, v) in enumerate(kv) if j != i and references(v.raw, name)), None)
            if user is not None:
                yield ctx.violation(
                    "DL3044",
                    f"`${key.value}` refers to `{key.value}` set in this same ENV: it expands to the value "
                    "from before this line, not the new one; split the ENV in two",
                    instr,
                    user.start,
                    user.end,
                )
        defined.update(key.value for key, _ in kv)
