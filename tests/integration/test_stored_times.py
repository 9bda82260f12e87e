"""Every time Chorus stores is UTC in one spelling (``…Z``), whichever capability wrote it; older spellings still read.

The write paths run against moto; then every table is read back whole (a test may scan) and every value that
looks like a date-time is held to the one spelling, so a new hand-made formatter shows up here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.conftest import World

DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT")
ONE_SPELLING = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")


def stored_times() -> Iterator[tuple[str, str, str]]:
    """(table, attribute path, value) for every string in every table that starts like a date-time."""
    import boto3

    from functions.dynamo import from_item

    client = boto3.client("dynamodb")
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                yield from _times(table.rsplit("-", 1)[-1], "", from_item(item))


def _times(table: str, path: str, value: Any) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _times(table, f"{path}.{name}" if path else name, inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _times(table, path, inner)
    elif isinstance(value, str) and DATE_TIME.match(value):
        yield table, path, value


def test_every_stored_time_is_utc_ending_in_z(world: World) -> None:
    from functions.admin.tokens import AdminTokenStore
    from functions.content.feed_sources import add_feed_source
    from functions.content.suggestions import reject, suggest
    from functions.digest.preferences import update_preferences
    from functions.digest.records import DeliveryRecords
    from functions.digest.suppression import handle_ses_notification
    from functions.directory.service import deactivate_employee, import_employees, reactivate_employee
    from functions.directory.store import EmployeeStore
    from functions.links.store import LinkStore

    tokens = AdminTokenStore()
    tokens.revoke(tokens.create("ops"))
    LinkStore().create(
        employee_id=world.employee_id,
        content_id=world.content_id,
        network="linkedin",
        team=world.team,
        target="https://www.example.com/news/launch?utm_source=linkedin",
    )
    records = DeliveryRecords()
    records.mark_sent(records.claim(world.employee_id, "2026-11-23"), "ses-1", (world.content_id,))
    records.release(records.claim(world.employee_id, "2026-11-24"), "throttled")
    import_employees(b"email,name,team\ngrace@example.com,Grace Hopper,Engineering\n")
    deactivate_employee(world.employee_id)
    reactivate_employee(world.employee_id)
    ada = EmployeeStore().get(world.employee_id)
    assert ada is not None
    update_preferences(ada, "daily", ["cloud"], "en")
    bounce = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "grace@example.com"}]},
        "mail": {"messageId": "0100-abc"},
    }
    assert handle_ses_notification(json.dumps(bounce)).suppressed
    reject(suggest(world.employee_id, "https://www.example.com/blog/one/").id, moderator="ops", note="old news")
    add_feed_source("https://blog.example.com/feed.xml", added_by="ops")

    times = list(stored_times())

    assert [(table, path, value) for table, path, value in times if not ONE_SPELLING.fullmatch(value)] == []
    written = {(table, path) for table, path, _ in times}
    assert {
        ("admin_tokens", "created_at"),
        ("admin_tokens", "revoked_at"),
        ("links", "created_at"),
        ("digests", "sent_at"),
        ("digests", "updated_at"),
        ("employees", "updated_at"),
        ("employees", "mail_suppressed.at"),
        ("content", "created_at"),
        ("suggestions", "created_at"),
        ("suggestions", "decided_at"),
        ("feed_sources", "added_at"),
    } <= written


def test_employees_stamped_in_the_older_spelling_still_read_and_keep_their_first_times(world: World) -> None:
    from functions.digest.suppression import handle_ses_notification
    from functions.directory.service import deactivate_employee
    from functions.directory.store import EmployeeStore

    store = EmployeeStore()
    store.deactivate(world.employee_id, keep_on_leaderboard=False, at="2026-03-01T00:00:00+00:00")
    store.suppress_mail(world.employee_id, "bounce", "2026-03-02T00:00:00+00:00")
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "ada@example.com"}]},
        "mail": {"messageId": "0100-def"},
    }

    handle_ses_notification(json.dumps(complaint))
    ada = deactivate_employee(world.employee_id, keep_on_leaderboard=True)

    assert ada.deactivated_at == "2026-03-01T00:00:00+00:00"
    assert ada.mail_suppressed is not None
    assert (ada.mail_suppressed.reason, ada.mail_suppressed.at) == ("bounce", "2026-03-02T00:00:00+00:00")
    assert ada.updated_at.endswith("Z")


def test_the_local_runners_schedule_events_carry_eventbridges_time_and_plan_digests_reads_it(aws: None) -> None:
    import app
    from infra.local.schedules import ScheduleDriver

    seen: list[dict[str, Any]] = []

    def plan(event: dict[str, Any], context: Any) -> Any:
        seen.append(event)
        return app.plan_digests(event, context)

    result = ScheduleDriver(app).fire("plan_digests", plan)

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", seen[0]["time"])
    assert result["employees"] == 0
