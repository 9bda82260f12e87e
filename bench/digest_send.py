"""One digest run end to end, and a re-run: SES and DynamoDB calls per digest, time per digest.

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
    ]


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

    dynamodb: Counter[str] = Counter()
    ses_calls: Counter[str] = Counter()
    aws.dynamodb().meta.events.register("before-call.dynamodb.*", lambda model, **_: dynamodb.update([model.name]))
    ses.meta.events.register("before-call.email.*", lambda model, **_: ses_calls.update([model.name]))
    started = time.perf_counter()
    handle(records, composer(now=datetime.now(UTC)), deadline=time.monotonic() + 600)
    seconds = time.perf_counter() - started
    aws.dynamodb().meta.events.unregister("before-call.dynamodb.*")
    ses.meta.events.unregister("before-call.email.*")
    emails = ses_calls["SendRawEmail"]
    return {
        "emails": emails,
        "ses": sum(ses_calls.values()),
        "seconds": seconds,
        "ms_per_digest": seconds * 1000 / employees,
        "dynamodb_per_digest": sum(dynamodb.values()) / employees,
        "dynamodb_kinds": ", ".join(f"{name} {count / employees:.1f}" for name, count in dynamodb.most_common()),
    }
