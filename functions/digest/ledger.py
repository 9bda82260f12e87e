"""Which content items each digest held: the "already received" half of DigestsTable.

DigestsTable has one item per employee and period (``employee_id`` + ``period``); the sender claims it
before sending (functions.digest.deliver). This module only adds ``content_ids`` (a string set) and
``items_at`` to that item and reads them back. It sets ``expires_at`` to HISTORY_DAYS after recording, so
what someone received is remembered at least that long; a claim written afterwards should keep the
later expiry (``if_not_exists`` or a longer one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

HISTORY_DAYS = 180


def record_items(
    employee_id: str,
    period: str,
    content_ids: Iterable[str],
    *,
    now: datetime | None = None,
    client: Any = None,
    table: str | None = None,
) -> None:
    """Remember what this digest held (replacing an earlier record of the same period); nothing if it held nothing."""
    ids = sorted(set(content_ids))
    if not ids:
        return
    from functions import aws
    from functions.config import settings

    moment = now or datetime.now(UTC)
    (client or aws.dynamodb()).update_item(
        TableName=table or settings().digests_table,
        Key={"employee_id": {"S": employee_id}, "period": {"S": period}},
        UpdateExpression="SET content_ids = :ids, items_at = :at, expires_at = :expires",
        ExpressionAttributeValues={
            ":ids": {"SS": ids},
            ":at": {"S": moment.astimezone(UTC).isoformat(timespec="seconds")},
            ":expires": {"N": str(int((moment + timedelta(days=HISTORY_DAYS)).timestamp()))},
        },
    )


def received_content_ids(employee_id: str, since: date, *, client: Any = None, table: str | None = None) -> set[str]:
    """The items of this employee's digests for periods that end on or after ``since`` (one Query, paged)."""
    from functions import aws
    from functions.config import settings
    from functions.digest.plan import period_days, weekly_period

    # Weekly keys ("2026-W47") sort after every daily key of their year ("2026-11-22"), so the lower
    # bound is whichever of the two spellings of ``since`` sorts first; the few extra weeks it lets
    # through are dropped below.
    lower = min(since.isoformat(), weekly_period(since))
    kwargs: dict[str, Any] = {
        "TableName": table or settings().digests_table,
        "KeyConditionExpression": "employee_id = :e AND #p >= :from",
        "ExpressionAttributeNames": {"#p": "period"},
        "ExpressionAttributeValues": {":e": {"S": employee_id}, ":from": {"S": lower}},
        "ProjectionExpression": "#p, content_ids",
    }
    client = client or aws.dynamodb()
    received: set[str] = set()
    while True:
        page = client.query(**kwargs)
        for item in page.get("Items", []):
            try:
                last_day = period_days(item["period"]["S"])[1]
            except ValueError:
                continue  # not a digest period (nothing else is stored here today)
            if last_day >= since:
                received.update(item.get("content_ids", {}).get("SS", []))
        if "LastEvaluatedKey" not in page:
            return received
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
