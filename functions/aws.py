"""boto3 clients, created on first use and cached per process.

boto3 is imported here lazily so that importing the Chalice app stays cheap: a handler that never
touches AWS never pays for it. Endpoints come from the standard ``AWS_ENDPOINT_URL*`` variables, which
is how the local runner and the tests point everything at moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _loader() -> Any:
    """botocore's reader of its service models and endpoints, shared by every client's session: each session
    would otherwise parse the same JSON again (about 40 ms for endpoints.json alone)."""
    from botocore.loaders import create_loader

    return create_loader()


def session() -> Any:
    """A new boto3 session reading models through the shared loader (one per client: a session is not
    thread-safe, its clients are)."""
    import boto3
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", _loader())
    return boto3.session.Session(botocore_session=core)


@cache
def client(service: str) -> Any:
    from botocore.config import Config

    # Tight timeouts: the redirect path must never hang on a slow dependency.
    config = Config(
        connect_timeout=2,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
        # Presigned POSTs (image uploads) must be SigV4: boto3 would otherwise sign them with SigV2.
        signature_version="s3v4" if service == "s3" else None,
    )
    return session().client(service, config=config)


def dynamodb() -> Any:
    return client("dynamodb")


def reset_clients() -> None:
    """Forget cached clients (tests that change endpoints or credentials call this)."""
    client.cache_clear()
