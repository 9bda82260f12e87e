"""Digest planning and item selection against the template's tables and queue in moto (never a Scan)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from functions import aws
from functions.config import settings
from functions.content.model import ContentItem, new_content
from functions.content.store import ContentStore
from functions.digest.deliver import parse_batch
from functions.digest.plan import (
    DigestEnqueueError,
    due_employees,
    enqueue_due,
    weekly_period,
)
from functions.digest.records import DeliveryRecords, received_content_ids
from functions.digest.select import CandidatePool, select_items, shared_content_ids
from functions.directory.model import WEEKDAYS, Employee
from functions.directory.service import import_employees
from functions.directory.store import DIGEST_SLOT, EmployeeStore
from tests.conftest import SHARER_HEADERS, signed_share_path

pytestmark = pytest.mark.usefixtures("aws")

ZONES = (
    "UTC",
    "Europe/Warsaw",  # DST starts on this day, at 01:00 UTC
    "Europe/London",
    "America/New_York",
    "America/St_Johns",  # -2:30 in summer
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "Australia/Adelaide",  # +10:30 until 5 April
    "Pacific/Chatham",  # +13:45
    "Pacific/Kiritimati",  # +14: already Monday
    "Pacific/Pago_Pago",  # -11: still Sunday
)
DAY = datetime(2026, 3, 29, tzinfo=UTC)  # a Sunday in UTC


@pytest.fixture
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Every DynamoDB operation the cached client makes meanwhile."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client = aws.dynamodb()
    client.meta.events.register("before-call.dynamodb.*", count, unique_id="digest-plan-test")
    yield calls
    client.meta.events.unregister("before-call.dynamodb.*", unique_id="digest-plan-test")


def person(key: str, zone: str, cadence: str, **changes: Any) -> Employee:
    return Employee(
        id=key,
        email=f"{key.replace('/', '.').lower()}@example.com",
        name=key,
        team="T",
        timezone=zone,
        digest_cadence=cadence,
        **changes,
    )


def seed_directory() -> dict[str, Employee]:
    """Per zone: a daily reader, a weekly reader for each weekday, one who turned digests off, one who left."""
    people = {}
    for zone in ZONES:
        people[f"{zone}/daily"] = person(f"{zone}/daily", zone, "daily")
        for day in WEEKDAYS:
            people[f"{zone}/{day}"] = person(f"{zone}/{day}", zone, f"weekly:{day}")
        people[f"{zone}/off"] = person(f"{zone}/off", zone, "off")
        people[f"{zone}/left"] = person(f"{zone}/left", zone, "daily")
    store = EmployeeStore()
    store.put_many(list(people.values()))
    for zone in ZONES:
        store.deactivate(f"{zone}/left", keep_on_leaderboard=False, at="2026-03-01T00:00:00+00:00")
    return people


def test_24_hourly_runs_find_every_reader_once_on_their_own_local_date(dynamodb_calls: Counter[str]) -> None:
    seed_directory()
    dynamodb_calls.clear()
    found: Counter[tuple[str, str]] = Counter()
    run_of: dict[str, datetime] = {}
    for hour in range(24):
        run = DAY + timedelta(hours=hour)
        for due in due_employees(run, zones=ZONES):  # every zone is planned this way; see test_digest_periods
            found[(due.employee_id, due.period)] += 1
            run_of[due.employee_id] = run
    assert set(found.values()) == {1}
    ids = {employee_id for employee_id, _ in found}
    for zone in ZONES:
        local = run_of[f"{zone}/daily"].astimezone(ZoneInfo(zone))
        assert local.hour == 8, (zone, local)  # 08:00, or 08:30 / 08:45 in the zones with odd offsets
        weekday = WEEKDAYS[local.weekday()]
        assert (f"{zone}/daily", local.date().isoformat()) in found
        assert (f"{zone}/{weekday}", weekly_period(local.date())) in found
        assert {f"{zone}/{day}" for day in WEEKDAYS if day != weekday}.isdisjoint(ids)
        assert {f"{zone}/off", f"{zone}/left"}.isdisjoint(ids)
    # One UTC day, three local dates: Kiritimati is on Monday the 30th, Pago Pago still on Sunday the 29th.
    assert ("Pacific/Kiritimati/monday", "2026-W14") in found
    assert ("Pacific/Kiritimati/daily", "2026-03-30") in found
    assert ("Pacific/Pago_Pago/sunday", "2026-W13") in found
    assert dict(dynamodb_calls) == {"Query": 2 * len(ZONES)}  # daily + that weekday, once per zone; never a Scan


def test_a_week_of_runs_sends_weekly_readers_one_digest_and_daily_readers_seven() -> None:
    people = seed_directory()
    found: Counter[str] = Counter()
    periods: dict[str, set[str]] = {}
    for hour in range(24 * 7):
        for due in due_employees(datetime(2026, 3, 30, tzinfo=UTC) + timedelta(hours=hour), zones=ZONES):
            found[due.employee_id] += 1
            periods.setdefault(due.employee_id, set()).add(due.period)
    for key, employee in people.items():
        expected = {"daily": 7, "off": 0}.get(employee.digest_cadence, 1) if employee.active else 0
        if key.endswith("/left"):
            expected = 0
        assert found[key] == expected, key
        assert len(periods.get(key, ())) == expected


def test_the_index_follows_the_directory(dynamodb_calls: Counter[str]) -> None:
    store = EmployeeStore()
    ada = person("ada", "europe/warsaw", "weekly:fri")
    store.put(ada)
    assert _slot("ada") == "Europe/Warsaw#friday"
    store.put(person("ada", "Europe/Warsaw", "off"))
    assert _slot("ada") is None
    store.put(person("ada", "Asia/Kolkata", "daily"))
    assert _slot("ada") == "Asia/Kolkata#daily"
    store.record_own_choices("ada", {"show_name": False}, "2026-03-02T00:00:00+00:00")
    assert _slot("ada") == "Asia/Kolkata#daily"
    store.deactivate("ada", keep_on_leaderboard=False, at="2026-03-03T00:00:00+00:00")
    assert _slot("ada") is None
    store.reactivate("ada", at="2026-03-04T00:00:00+00:00")
    assert _slot("ada") == "Asia/Kolkata#daily"
    store.suppress_mail("ada", "bounce", "2026-03-05T00:00:00+00:00")
    assert _slot("ada") is None
    store.put(person("zed", "Mars/Olympus_Mons", "daily"))  # a record from before the field rules
    assert _slot("zed") == "UTC#daily"
    import_employees("email,name,team,timezone,cadence\nbo@example.com,Bo,T,Asia/Kathmandu,weekly:sun\n")
    assert [due.employee_id for due in due_employees(datetime(2026, 3, 29, 3, tzinfo=UTC))] == [_bo()]
    assert "Scan" not in dynamodb_calls


def _slot(employee_id: str) -> str | None:
    item = aws.dynamodb().get_item(TableName=settings().employees_table, Key={"id": {"S": employee_id}})["Item"]
    return item.get(DIGEST_SLOT, {}).get("S")


def _bo() -> str:
    from functions.directory.model import employee_id_for

    return employee_id_for("bo@example.com")


def test_enqueue_puts_batches_of_pairs_on_the_queue_ten_messages_per_call() -> None:
    store = EmployeeStore()
    store.put_many([person(f"w{n:03d}", "Europe/Warsaw", "daily") for n in range(123)])
    store.put_many([person(f"k{n:03d}", "Asia/Kolkata", "weekly:monday") for n in range(10)])
    report = enqueue_due(datetime(2026, 3, 30, 3, 5, tzinfo=UTC), batch_size=7)  # 08:30 in Kolkata
    assert (report.employees, report.counts) == (10, {"daily": 0, "weekly": 10})
    report = enqueue_due(datetime(2026, 3, 30, 6, 5, tzinfo=UTC), batch_size=7)  # 08:00 in Warsaw (summer time)
    assert (report.employees, report.messages, report.sqs_calls) == (123, 18, 2)
    assert report.run_at == "2026-03-30T06:00:00Z" and report.dynamodb_queries >= 2 and report.seconds > 0
    pairs = _drain()
    assert Counter(len(batch) for batch in pairs) == Counter({7: 18, 4: 1, 3: 1})
    flat = [pair for batch in pairs for pair in batch]
    assert sorted(flat) == sorted(
        [(f"w{n:03d}", "2026-03-30") for n in range(123)] + [(f"k{n:03d}", "2026-W14") for n in range(10)]
    )
    assert enqueue_due(datetime(2026, 3, 30, 7, tzinfo=UTC)).messages == 0


def _drain() -> list[list[tuple[str, str]]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=settings().digest_queue_name)["QueueUrl"]
    batches = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return batches
        for message in messages:
            batches.append(parse_batch(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


class FlakySqs:
    """The moto SQS client, refusing the first ``refuse`` entries of each call (SQS's transient failures)."""

    def __init__(self, refuse: int, sender_fault: bool = False) -> None:
        self.real = aws.client("sqs")
        self.refuse = refuse
        self.sender_fault = sender_fault
        self.calls = 0

    def get_queue_url(self, **kwargs: Any) -> dict[str, Any]:
        return self.real.get_queue_url(**kwargs)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls += 1
        refused, sent = Entries[: self.refuse], Entries[self.refuse :]
        self.refuse = max(0, self.refuse - 1)
        response = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=sent) if sent else {}
        failed = [{"Id": e["Id"], "SenderFault": self.sender_fault, "Code": "X", "Message": "no"} for e in refused]
        return {"Successful": response.get("Successful", []), "Failed": failed}


def test_refused_messages_are_retried_and_a_sender_fault_stops_the_run() -> None:
    EmployeeStore().put_many([person(f"w{n:03d}", "Europe/Warsaw", "daily") for n in range(30)])
    run = datetime(2026, 3, 30, 6, tzinfo=UTC)
    flaky = FlakySqs(refuse=2)
    report = enqueue_due(run, sqs=flaky, batch_size=3, pause=lambda seconds: None)
    assert (report.messages, report.sqs_calls) == (10, 3)
    assert sum(len(batch) for batch in _drain()) == 30
    with pytest.raises(DigestEnqueueError) as raised:
        enqueue_due(run, sqs=FlakySqs(refuse=1, sender_fault=True), batch_size=3, pause=lambda seconds: None)
    assert raised.value.report.messages == 9


# --- selection ---------------------------------------------------------------------------------------------


def add_items(now: datetime, specs: list[tuple[str, dict[str, Any]]]) -> dict[str, ContentItem]:
    store = ContentStore()
    items = {}
    for n, (content_id, fields) in enumerate(specs):
        start = fields.pop("start", now - timedelta(hours=n + 1))
        item = new_content(
            content_id=content_id,
            url=f"https://example.com/{content_id}",
            title=content_id,
            publish_start=start,
            now=now - timedelta(days=1),
            **fields,
        )
        store.add(item)
        items[content_id] = item
    return items


def share_as(employee_id: str, content_id: str, network: str) -> None:
    from functions.shares.service import share

    query = parse_qs(urlsplit(signed_share_path(employee_id, content_id, network)).query)
    share(employee_id, content_id, network, query["exp"][0], query["sig"][0], headers=SHARER_HEADERS)


def test_a_digest_holds_what_the_rules_say_and_reads_only_with_queries(dynamodb_calls: Counter[str]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    anna = Employee(id="anna", email="anna@example.com", name="Anna", team="T", locale="pl", topics=("cloud",))
    EmployeeStore().put(anna)
    add_items(
        now,
        [
            ("pl-cta", {"language": "pl", "kind": "company", "important": True}),
            ("en-cta", {"language": "en", "kind": "company", "important": True}),
            ("pl-cloud", {"language": "pl", "kind": "third_party", "topics": ["cloud"]}),
            ("pl-shared", {"language": "pl", "kind": "third_party", "topics": ["cloud"]}),
            ("pl-received", {"language": "pl", "kind": "third_party"}),
            ("pl-news", {"language": "pl", "kind": "third_party"}),
            ("pl-company", {"language": "pl", "kind": "company"}),
            ("pl-later", {"language": "pl", "kind": "third_party", "start": now + timedelta(days=1)}),
            ("pl-ended", {"language": "pl", "kind": "third_party", "publish_end": now - timedelta(minutes=1)}),
            ("pl-draft", {"language": "pl", "kind": "third_party", "status": "draft"}),
            ("lt-news", {"language": "lt", "kind": "third_party"}),
            ("en-news", {"language": "en", "kind": "third_party"}),
            ("en-company", {"language": "en", "kind": "company"}),
        ],
    )
    share_as("anna", "pl-shared", "linkedin")
    share_as("anna", "pl-shared", "x")
    sent("anna", weekly_period(now.date() - timedelta(days=7)), ["pl-received"])
    dynamodb_calls.clear()

    shared = shared_content_ids("anna")
    received = received_content_ids("anna", now.date() - timedelta(days=30))
    pool = CandidatePool(now)
    chosen = select_items(anna, now, received, shared, limit=6, pool=pool)
    assert (shared, received) == ({"pl-shared"}, {"pl-received"})
    # Two calls to action (company, over the one company slot of six), then Polish before English, the topic
    # first; third-party items run out after three, so a company item fills the last slot.
    assert [c.id for c in chosen] == ["pl-cta", "en-cta", "pl-cloud", "pl-news", "pl-company", "en-news"]
    half = select_items(anna, now, received, shared, limit=8, company_share=0.5, pool=pool)
    assert [c.id for c in half] == ["pl-cta", "en-cta", "pl-cloud", "pl-news", "pl-company", "en-news", "en-company"]
    assert set(dynamodb_calls) == {"Query"}
    assert pool.queries == 2  # one page of Polish, one of English, shared by both digests

    nobody = Employee(id="ola", email="ola@example.com", name="Ola", team="T", locale="lt")
    everything = {c.id for c in pool.candidates(["lt", "en"])}
    assert select_items(nobody, now, everything, set(), pool=pool) == []


def test_a_heavy_reader_gets_older_items_from_deeper_pages() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ben = Employee(id="ben", email="ben@example.com", name="Ben", team="T", locale="en")
    add_items(now, [(f"n{n:02d}", {"kind": "third_party"}) for n in range(20)])
    add_items(now - timedelta(days=1), [(f"c{n}", {"kind": "company"}) for n in range(3)])
    pool = CandidatePool(now, page_size=5)
    received = {f"n{n:02d}" for n in range(15)}
    chosen = select_items(ben, now, received, set(), pool=pool)
    assert [c.id for c in chosen] == ["n15", "n16", "n17", "n18", "n19", "c0", "c1", "c2"]
    assert pool.queries == 5


def sent(employee_id: str, period: str, content_ids: list[str]) -> None:
    """A digest delivered as the sender records it: claimed, then marked sent with what it held."""
    records = DeliveryRecords()
    assert records.mark_sent(records.claim(employee_id, period), f"ses-{period}", tuple(content_ids))


def test_what_each_sent_digest_held_is_remembered_by_period() -> None:
    import time

    from functions.digest.records import HISTORY_DAYS

    sent("e", "2026-W47", ["a", "b"])
    sent("e", "2026-11-10", ["old"])
    sent("e", "2026-11-20", ["c"])
    sent("e", "2026-W10", ["march"])
    sent("e", "2026-11-21", [])  # sent with nothing recorded (not a real digest, but harmless)
    row = DeliveryRecords().get("e", "2026-W47")
    assert row is not None and set(row.content_ids) == {"a", "b"} and row.message_id == "ses-2026-W47"
    assert row.expires_at is not None and row.expires_at > time.time() + (HISTORY_DAYS - 1) * 86400
    assert received_content_ids("e", date(2026, 11, 15)) == {"a", "b", "c"}
    assert received_content_ids("e", date(2026, 11, 22)) == {"a", "b"}  # week 47 ends on the 22nd
    assert received_content_ids("e", date(2026, 1, 1)) == {"a", "b", "c", "old", "march"}
    assert received_content_ids("nobody", date(2026, 1, 1)) == set()
