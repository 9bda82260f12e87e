"""Per-redirect time: the full Chalice path and the lean front door against a minimal hand-written handler,
over moto in-process.

The full path is invoked as Lambda would invoke it: ``app.app(event, context)`` with an API Gateway proxy
event; the front door (functions/links/front_door.py) as its Function URL invokes it, with the event
CloudFront's requests arrive as. The minimal handler makes the same two DynamoDB calls (GetItem of the
link, PutItem of a small event item) and returns a 302 dict. All use the same cached DynamoDB client and the
same moto store.

Both real paths keep links in a TTL cache while warm, so each is timed twice: with the cache as it is (one
PutItem per redirect) and with only that cache cleared before each call (GetItem + PutItem, the same
calls as the minimal handler). Calls are verified before timing, and variants are interleaved in blocks.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import BROWSER_HEADERS, SOURCE_IP, CallCounter, World, describe
from infra.local.sandbox import reset_warm_state

N = 1000
WARMUP = 50
BLOCK = 50


class LambdaContext:
    """The attributes of Lambda's context object that Chalice and Chorus read."""

    function_name = "chorus-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:chorus-dev"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/chorus-dev"
    log_stream_name = "2025/01/01/[$LATEST]bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def proxy_event(code: str) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event for GET /{code}."""
    return {
        "resource": "/{code}",
        "path": f"/{code}",
        "httpMethod": "GET",
        "headers": dict(BROWSER_HEADERS),
        "multiValueHeaders": {name: [value] for name, value in BROWSER_HEADERS.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"code": code},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{code}",
            "httpMethod": "GET",
            "path": f"/api/{code}",
            "identity": {"sourceIp": SOURCE_IP},
            "requestId": "bench",
            "stage": "api",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def function_url_event(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    source_ip: str = SOURCE_IP,
    query: str = "",
) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0): lower-case header names, the caller's address."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    http = {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "front-door",
            "domainName": "front-door.lambda-url.us-east-1.on.aws",
            "http": {**http, "userAgent": lowered.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def minimal_handler(client: Any, links_table: str, events_table: str) -> Callable[[dict[str, Any], Any], Any]:
    """The least a redirect can do: read the link, write a click, answer 302."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        code = event["pathParameters"]["code"]
        item = client.get_item(TableName=links_table, Key={"pk": {"S": "L#" + code}}).get("Item")
        if item is None:
            return {"statusCode": 404, "headers": {}, "body": ""}
        now = time.time()
        client.put_item(
            TableName=events_table,
            Item={
                "pk": {"S": "C#" + code},
                "sk": {"S": f"{now:.3f}#{context.aws_request_id[:8]}"},
                "type": {"S": "click"},
                "code": {"S": code},
                "expires_at": {"N": str(int(now) + 400 * 86400)},
            },
        )
        return {"statusCode": 302, "headers": {"Location": item["target"]["S"]}, "body": ""}

    return handler


@dataclass(frozen=True)
class Timing:
    name: str
    samples_us: list[float]
    calls: str  # the AWS calls per invocation, as verified before timing
    put_bytes: float  # the PutItem request body, in bytes

    @property
    def median(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_us)


def measure(world: World, n: int = N, warmup: int = WARMUP) -> list[Timing]:
    import app
    from functions import aws
    from functions.config import settings
    from functions.links import front_door, redirect

    reset_warm_state()
    client = aws.dynamodb()
    minimal = minimal_handler(client, settings().links_table, settings().events_table)
    event = proxy_event(world.code)
    # As CloudFront forwards it: its own address as the caller's, the viewer's and the origin secret in headers.
    origin = "bench-origin-value"
    through_cloudfront = {"X-Chorus-Origin": origin, "CloudFront-Viewer-Address": f"{SOURCE_IP}:46532"}
    url_event = function_url_event("GET", f"/{world.code}", {**BROWSER_HEADERS, **through_cloudfront}, "130.176.1.10")
    os.environ["FRONT_DOOR_ORIGIN_SECRET"] = origin
    front_door.reset()
    link_cache = redirect._cache

    def full_warm() -> Any:
        return app.app(event, LambdaContext())

    def full_cleared() -> Any:
        link_cache().clear()
        return app.app(event, LambdaContext())

    def lean_warm() -> Any:
        return front_door.handler(url_event, LambdaContext())

    def lean_cleared() -> Any:
        link_cache().clear()
        return front_door.handler(url_event, LambdaContext())

    def hand_written() -> Any:
        return minimal(event, LambdaContext())

    variants = {
        "full path, warm cache": full_warm,
        "full path, cache cleared each time": full_cleared,
        "front door, warm cache": lean_warm,
        "front door, cache cleared each time": lean_cleared,
        "minimal handler": hand_written,
    }

    calls: dict[str, str] = {}
    put_bytes: dict[str, float] = {}
    counter = CallCounter()
    counter.watch(client)
    counter.watch(aws.client("ssm"))
    try:
        for name, call in variants.items():
            for _ in range(warmup):
                response = call()
                if response["statusCode"] != 302:
                    raise RuntimeError(f"{name} answered {response['statusCode']}, not 302: {response}")
            counter.take()
            checks = 20
            for _ in range(checks):
                call()
            counted, sizes = counter.take_with_sizes()
            calls[name] = describe(counted, checks)
            put_bytes[name] = sizes["PutItem"] / max(counted["PutItem"], 1)
    finally:
        counter.close()

    samples: dict[str, list[float]] = {name: [] for name in variants}
    clock = time.perf_counter_ns
    names = list(variants)
    for block in range(-(-n // BLOCK)):
        size = min(BLOCK, n - block * BLOCK)
        turn = block % len(names)
        for name in names[turn:] + names[:turn]:
            call, out = variants[name], samples[name]
            for _ in range(size):
                start = clock()
                call()
                out.append((clock() - start) / 1000)
    return [Timing(name, samples[name], calls[name], put_bytes[name]) for name in variants]


def report(timings: list[Timing]) -> list[str]:
    by_name = {t.name: t for t in timings}
    width = max(len(t.name) for t in timings)
    lines = [
        f"{t.name:<{width}}  median {t.median:7.0f} us  mean {t.mean:7.0f} us  (n={len(t.samples_us)}; "
        f"calls per redirect: {t.calls})"
        for t in timings
    ]
    minimal = by_name["minimal handler"]
    full = by_name["full path, cache cleared each time"]
    lines.append(
        f"the PutItem request body: {full.put_bytes:.0f} B for the full path's click event "
        f"vs {minimal.put_bytes:.0f} B for the minimal handler's"
    )
    for name in (
        "full path, warm cache",
        "full path, cache cleared each time",
        "front door, warm cache",
        "front door, cache cleared each time",
    ):
        full = by_name[name]
        lines.append(
            f"{name} / minimal handler: {full.median / minimal.median:.2f}x by median, "
            f"{full.mean / minimal.mean:.2f}x by mean ({full.median - minimal.median:+.0f} us by median)"
        )
    for cache in ("warm cache", "cache cleared each time"):
        lean, full = by_name[f"front door, {cache}"], by_name[f"full path, {cache}"]
        lines.append(
            f"front door / full path, {cache}: {lean.median / full.median:.2f}x by median "
            f"({lean.median - full.median:+.0f} us: Chalice's request parsing, routing and middleware)"
        )
    lines.append(
        f"note: each call costs the minimal handler ~{minimal.median / 2:.0f} us of botocore + moto CPU here; real "
        "DynamoDB costs network time instead, so the difference in us says more than the ratio"
    )
    return lines


def run(world: World, n: int = N, warmup: int = WARMUP) -> list[str]:
    return report(measure(world, n, warmup))
