"""One digest run end to end, and a re-run: SES and DynamoDB calls per digest, time per digest, and what
1,000 digests cost at list prices (SES per email and per GB sent, DynamoDB units metered from the items as
functions/stats/meter.py sizes them, the sending Lambda's time as measured over moto: an upper bound).

A fresh in-process moto account holds 100 employees due at 08:00 UTC (every fifth with a language that has
no items of its own, so English fills in) and 40 published items. ``enqueue_due`` plans the hour, the
queue worker's own code (``handle_sqs_records`` with a ``Composer``) sends, then the same messages are
delivered again, as a duplicated SQS delivery or a re-run schedule would.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

EMPLOYEES = 100
SES_EMAIL = 0.10 / 1000  # us-east-1 list prices (USD)
SES_GB = 0.12  # priced on the whole message, an upper bound (SES bills the attachments' GB)
RUN_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday


def run(employees: int = EMPLOYEES) -> dict[str, Any]:
    from infra.local.sandbox import in_process_account

    with in_process_account(POWERTOOLS_LOG_LEVEL="ERROR"):
        return _measure(employees)


def report(figures: dict[str, Any]) -> list[str]:
    first, again = figures["first"], figures["again"]
    return [
        f"{figures['employees']} employees due, {figures['items']} published items; "
        f"{first['emails']} emails sent in {first['seconds']:.2f} s "
        f"({first['ms_per_digest']:.1f} ms per digest on moto)",
        f"first run: {first['ses']} SES SendRawEmail ({first['ses'] / max(first['emails'], 1):.2f} per email), "
        f"{first['dynamodb_per_digest']:.1f} DynamoDB calls per digest ({first['dynamodb_kinds']})",
        f"the same messages again: {again['ses']} SES calls, {again['emails']} emails, "
        f"{again['dynamodb_per_digest']:.1f} DynamoDB calls per digest (the claim check only)",
        *cost_lines(first),
    ]


def cost_lines(run: dict[str, Any]) -> list[str]:
    """What 1,000 digests cost, from one run's measured operations."""
    from bench.counting import DYNAMODB_READ_UNIT, DYNAMODB_WRITE_UNIT, LAMBDA_GB_SECOND, memory_gb

    per = 1000 / max(run["emails"], 1)
    parts = [
        ("SES: 1,000 emails", SES_EMAIL * 1000),
        (f"SES: {run['bytes'] * per / 2**20:.0f} MB sent", run["bytes"] * per / 2**30 * SES_GB),
        (
            f"DynamoDB: {run['write_units'] * per:,.0f} WCU and {run['read_units'] * per:,.0f} RCU",
            (run["write_units"] * DYNAMODB_WRITE_UNIT + run["read_units"] * DYNAMODB_READ_UNIT) * per,
        ),
        (
            f"Lambda, send_digests: {run['seconds'] * per:,.0f} s at {memory_gb('send_digests') * 1024:.0f} MB",
            run["seconds"] * per * memory_gb("send_digests") * LAMBDA_GB_SECOND,
        ),
    ]
    lines = ["cost per 1,000 digests (us-east-1 list prices):"]
    lines += [f"  ${usd:7.4f}  {line}" for line, usd in parts]
    lines.append(f"  total ${sum(usd for _, usd in parts):.3f} per 1,000 digests")
    return lines


def _measure(employees: int) -> dict[str, Any]:
    from functions import aws
    from functions.config import settings
    from functions.content.model import new_content
    from functions.content.store import ContentStore
    from functions.digest.compose import Composer
    from functions.digest.deliver import handle_sqs_records, ses_client
    from functions.digest.plan import enqueue_due
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore

    people = [
        Employee(
            id=employee_id_for(f"p{n}@example.com"),
            email=f"p{n}@example.com",
            name=f"Person {n}",
            team="Sales",
            locale="lt" if n % 5 == 0 else "en",
            timezone="UTC",
            digest_cadence="daily",
        )
        for n in range(employees)
    ]
    EmployeeStore().put_many(people)
    contents = ContentStore()
    for n in range(40):
        contents.add(
            new_content(
                content_id=f"item-{n}",
                url=f"https://example.com/{n}",
                title=f"Item {n}",
                status="published",
                kind="company" if n % 4 == 0 else "third_party",
                publish_start=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    enqueue_due(RUN_AT)
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=settings().digest_queue_name)["QueueUrl"]
    records = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        records += [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]
    return {
        "employees": employees,
        "items": 40,
        "first": _deliver(records, Composer, handle_sqs_records, ses_client(), employees),
        "again": _deliver(records, Composer, handle_sqs_records, ses_client(), employees),
    }


def _deliver(records: list[dict[str, Any]], composer: Any, handle: Any, ses: Any, employees: int) -> dict[str, Any]:
    from functions import aws
    from functions.stats.meter import Usage, meter_calls

    dynamodb: Counter[str] = Counter()
    ses_calls: Counter[str] = Counter()
    sent = [0]
    usage = Usage()
    aws.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: dynamodb.update([model.name]))
    ses.meta.events.register("before-call.email.*", lambda model, **_: ses_calls.update([model.name]))

    def measure(params: dict[str, Any], **_: Any) -> None:
        sent[0] += len(params["RawMessage"]["Data"])

    ses.meta.events.register("before-parameter-build.ses.SendRawEmail", measure)
    stop_metering = meter_calls(aws.dynamodb(), usage)
    started = time.perf_counter()
    handle(records, composer(now=datetime.now(UTC)), deadline=time.monotonic() + 600)
    seconds = time.perf_counter() - started
    stop_metering()
    aws.dynamodb().meta.events.unregister("before-call.dynamodb.*")
    ses.meta.events.unregister("before-call.email.*")
    ses.meta.events.unregister("before-parameter-build.ses.SendRawEmail", measure)
    emails = ses_calls["SendRawEmail"]
    return {
        "emails": emails,
        "ses": sum(ses_calls.values()),
        "seconds": seconds,
        "ms_per_digest": seconds * 1000 / employees,
        "dynamodb_per_digest": sum(dynamodb.values()) / employees,
        "dynamodb_kinds": ", ".join(f"{name} {count / employees:.1f}" for name, count in dynamodb.most_common()),
        "bytes": sent[0],
        "write_units": usage.write_units,
        "read_units": usage.read_units,
    }
