"""Powertools Logger and Metrics, built on first use and shared by every handler.

Built lazily (not at import) because Logger binds stdout when created, and because a handler that
never logs should not pay for it. app.py's single middleware binds the request id and flushes metrics.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

NAMESPACE = "Chorus"


@cache
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="chorus")


@cache
def metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service="chorus")


@cache
def metrics_enabled() -> bool:
    # Powertools' own switch; when set, Powertools would still buffer (and at 100 values print) them.
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() not in ("1", "true", "yes", "on")


def count(name: str, value: int = 1) -> None:
    if not metrics_enabled():
        return
    from aws_lambda_powertools.metrics import MetricUnit

    metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def bind_request(request_id: str | None, **keys: Any) -> None:
    logger().append_keys(request_id=request_id, **keys)


def flush() -> None:
    """Publish the metrics added during this invocation (nothing when none were)."""
    m = metrics()
    if m.metric_set:
        m.flush_metrics()


def observed(request_id: str | None, work: Callable[[], T]) -> T:
    """One invocation: the request id on its log lines, an unhandled error counted and logged, metrics flushed."""
    bind_request(request_id)
    try:
        return work()
    except Exception:
        count("Errors")
        logger().exception("unhandled_error")
        raise
    finally:
        flush()
