"""An in-process moto account holding Chorus's resources: what the tests and benchmarks run against."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Variables that could point boto3 somewhere other than moto's in-process mock.
_UNSAFE_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def sandbox_env() -> dict[str, str]:
    """Fake credentials and the template's table names."""
    from infra.resources import table_env

    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # moto's DescribeStream needs it with botocore 1.44
        "API_BASE_URL": "https://chorus.example.org",
        "SHORT_BASE_URL": "https://go.example.org",
        "SITE_BASE_URL": "https://site.example.org",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **table_env("dev"),
    }


def reset_warm_state() -> None:
    """Forget what a warm Lambda keeps: settings, boto3 clients, the master secret, cached links."""
    from functions import aws, observability, secrets
    from functions.config import settings
    from functions.digest import deliver
    from functions.kpis import activity
    from functions.links import redirect

    settings.cache_clear()
    deliver.ses_client.cache_clear()
    aws.reset_clients()
    secrets.master_secret.cache_clear()
    redirect.reset()
    observability.metrics_enabled.cache_clear()
    activity.forget()


@contextmanager
def in_process_account(**extra_env: str) -> Iterator[None]:
    """Tables and bucket from infra/template.yaml and the secret in SSM; the environment is restored after."""
    from moto import mock_aws

    from functions import aws
    from functions.secrets import ensure_master_secret
    from infra.resources import create_all

    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in _UNSAFE_ENV:
            del os.environ[name]
    kpi_cache = tempfile.mkdtemp(prefix="chorus-kpis-")  # each account its own: nothing read from another's
    os.environ.update({**sandbox_env(), "KPI_CACHE_DIR": kpi_cache, **extra_env})
    try:
        with mock_aws():
            reset_warm_state()
            create_all(aws.client("dynamodb"), aws.client("s3"), sqs=aws.client("sqs"), ses=aws.client("ses"))
            ensure_master_secret()
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_warm_state()
        shutil.rmtree(kpi_cache, ignore_errors=True)


def seed_sharer() -> tuple[Any, Any]:
    """One active employee (Ada, Marketing) and one published item with suggested texts."""
    from functions.content.model import new_content
    from functions.content.store import ContentStore
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore

    employee = Employee(
        id=employee_id_for("Ada@Example.com"), email="ada@example.com", name="Ada Lovelace", team="Marketing"
    )
    EmployeeStore().put(employee)
    content = new_content(
        content_id="launch",
        url="https://www.example.com/news/launch?ref=home#top",
        title="Our autumn launch",
        campaign="autumn",
        share_texts={"default": ["Proud of this launch!"], "x": ["Launch day, have a look:"]},
    )
    ContentStore().add(content)
    return employee, content
