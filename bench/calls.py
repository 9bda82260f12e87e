"""AWS calls per redirect, cold (fresh caches, as a new Lambda container) and warm, on both ways in.

Requests go through the real Chalice app (``chalice.test.Client``) and through the short links' front door
(functions/links/front_door.py, with a Function URL event) over moto in-process. The calls are
counted with botocore's ``before-call`` hooks on the cached DynamoDB and SSM clients, and cross-checked
by counting every API call any botocore client makes, so a call through another client is not missed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench.common import BROWSER_HEADERS, ROOT, CallCounter, World, all_api_calls, describe
from infra.local.sandbox import reset_warm_state

WARM = 100
READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@dataclass(frozen=True)
class CallCount:
    cold_dynamodb: Counter[str]
    cold_ssm: Counter[str]
    cold_all: Counter[str]
    warm_dynamodb: Counter[str]  # summed over `warm` redirects
    warm_ssm: Counter[str]
    warm_all: Counter[str]
    warm: int
    statuses: Counter[int]
    way_in: str = "Chalice route"


def measure(world: World, warm: int = WARM) -> list[CallCount]:
    from chalice.test import Client

    import app
    from bench.latency import LambdaContext, function_url_event
    from functions.links import front_door

    client = Client(app.app, project_dir=str(ROOT))
    event = function_url_event("GET", f"/{world.code}", BROWSER_HEADERS)
    return [
        _count(lambda: client.http.get(f"/{world.code}", headers=BROWSER_HEADERS).status_code, warm),
        _count(lambda: front_door.handler(event, LambdaContext())["statusCode"], warm, "front door"),
    ]


def _count(redirect: Callable[[], int], warm: int, way_in: str = "Chalice route") -> CallCount:
    from functions import aws

    reset_warm_state()
    dynamodb, ssm = CallCounter(), CallCounter()
    dynamodb.watch(aws.dynamodb())  # the very clients the redirect will use, created (not called) here
    ssm.watch(aws.client("ssm"))
    statuses: Counter[int] = Counter()
    try:
        with all_api_calls() as everything:
            statuses[redirect()] += 1
            cold = dynamodb.take(), ssm.take(), Counter(everything)
            everything.clear()
            for _ in range(warm):
                statuses[redirect()] += 1
            warm_calls = dynamodb.take(), ssm.take(), Counter(everything)
    finally:
        dynamodb.close()
        ssm.close()
    return CallCount(*cold, *warm_calls, warm=warm, statuses=statuses, way_in=way_in)


def _split(calls: Counter[str], per: int = 1) -> str:
    reads = sum(n for op, n in calls.items() if op in READS) / per
    writes = sum(n for op, n in calls.items() if op in WRITES) / per
    other = {op: n for op, n in calls.items() if op not in READS | WRITES}
    text = f"{reads:g} reads + {writes:g} writes ({describe(calls, per)})"
    return text + (f"; other: {describe(Counter(other), per)}" if other else "")


def report(count: CallCount) -> list[str]:
    per = count.warm
    lines = [
        f"{count.way_in}, cold (first request, fresh caches): DynamoDB {_split(count.cold_dynamodb)}; "
        f"SSM: {describe(count.cold_ssm)}",
        f"{count.way_in}, warm (average over {per} redirects): DynamoDB {_split(count.warm_dynamodb, per)}; "
        f"SSM: {describe(count.warm_ssm, per)}",
        f"responses: {', '.join(f'{n} x {status}' for status, n in sorted(count.statuses.items()))}",
    ]
    hooked_cold = sum(count.cold_dynamodb.values()) + sum(count.cold_ssm.values())
    hooked_warm = sum(count.warm_dynamodb.values()) + sum(count.warm_ssm.values())
    if (sum(count.cold_all.values()), sum(count.warm_all.values())) == (hooked_cold, hooked_warm):
        lines.append("cross-check (every botocore client): no other AWS calls")
    else:
        lines.append(
            f"cross-check MISMATCH, every botocore client: cold {describe(count.cold_all)}; "
            f"warm {describe(count.warm_all, per)}"
        )
    return lines


def run(world: World, warm: int = WARM) -> list[str]:
    return [line for count in measure(world, warm) for line in report(count)]
