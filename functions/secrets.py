"""The deployment's master secret and the keys derived from it.

In AWS the secret is a SecureString in SSM Parameter Store (``SECRET_PARAMETER``); locally the runner
generates one and stores it in moto's SSM. It is fetched once per warm Lambda. Each use gets its own
derived key, so a key leaked from one purpose (say, visitor hashing) cannot forge share links.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _secrets
from functools import cache
from typing import Any

from functions import aws
from functions.config import settings


class SecretMissingError(RuntimeError):
    pass


@cache
def master_secret() -> bytes:
    name = settings().secret_parameter
    ssm = aws.client("ssm")
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        raise SecretMissingError(
            f"SSM parameter {name} is missing: create it with `python -m functions.cli init-secret`"
        ) from None
    return value.encode()


def derived_key(purpose: str, master: bytes | None = None) -> bytes:
    """The key for one purpose, from the deployment's secret (or ``master``: a local stack's, in its tests)."""
    return _derived_key(master_secret() if master is None else master, purpose)


@cache
def _derived_key(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, b"chorus:" + purpose.encode(), hashlib.sha256).digest()


def ensure_master_secret(ssm: Any = None, name: str | None = None) -> bool:
    """Create the master secret (``name``, else this stage's parameter) if it does not exist yet; True when it
    was created."""
    client = ssm or aws.client("ssm")
    name = name or settings().secret_parameter
    try:
        client.put_parameter(
            Name=name,
            Value=_secrets.token_urlsafe(48),
            Type="SecureString",
            Overwrite=False,
        )
    except client.exceptions.ParameterAlreadyExists:
        return False
    master_secret.cache_clear()
    return True
