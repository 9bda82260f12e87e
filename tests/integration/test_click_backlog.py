"""The click backlog: a click whose event write fails is queued and written once the table recovers.

The app's own handlers run in-process over moto, as Lambda would run them: the redirect route through
Chalice's test client, the backlog worker through its SQS event source (batches of ten from the real queue,
the messages it reports failed delivered again).
DynamoDB's throttling is injected with a botocore ``before-call`` hook on the app's own client, the way
botocore's Stubber answers instead of the service: the call raises the real
``ProvisionedThroughputExceededException`` the SDK raises once its retries are spent.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from chalice.local import LambdaContext

from functions import aws as chorus_aws
from functions.config import settings
from tests.conftest import BROWSER_HEADERS, World, short_code_from_intent, signed_share_path

CLICKS = 10_000
NETWORKS = ("linkedin", "x", "facebook", "whatsapp", "email")


class EventsTable:
    """Faults on the events table's PutItem, injected into the app's own DynamoDB client.

    ``throttled``: every write is refused. ``lands_but_fails``: a predicate on the write's number; the write
    is applied, then the call fails as if its response timed out. ``plan``: for the next invocation of the
    backlog worker, what happens at its n-th write: "throttle" (refused), or "out of time" (written, and then
    the invocation has no time left: Lambda's context says so, as it would near the function's timeout).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.table = os.environ["EVENTS_TABLE"]
        self.throttled = False
        self.lands_but_fails: Callable[[int], bool] = lambda n: False
        self.refused = 0  # while throttled
        self.plan: dict[int, str] = {}
        self.writes = 0  # since the last next_invocation
        self.out_of_time = self.fail_response = False
        events = chorus_aws.dynamodb().meta.events
        events.register("before-call.dynamodb.PutItem", self.before_call)
        events.register("after-call.dynamodb.PutItem", self.after_call)
        remaining = LambdaContext.get_remaining_time_in_millis
        monkeypatch.setattr(
            LambdaContext, "get_remaining_time_in_millis", lambda context: 0 if self.out_of_time else remaining(context)
        )

    def next_invocation(self, plan: dict[int, str]) -> None:
        self.plan, self.writes, self.out_of_time = plan, 0, False

    def before_call(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if json.loads(params["body"])["TableName"] != self.table:
            return None
        self.writes += 1
        fault = "throttle" if self.throttled else self.plan.get(self.writes)
        if fault == "out of time":
            self.out_of_time = True
        if self.throttled and self.lands_but_fails(self.writes):
            self.fail_response = True
            return None  # DynamoDB (moto) applies it; after_call loses the response
        if fault != "throttle":
            return None  # DynamoDB (moto) takes the write
        self.refused += self.throttled
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "Throughput exceeds the limit"}
        return AWSResponse(params["url"], 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    def after_call(self, **_: Any) -> None:
        if self.fail_response:
            self.fail_response = False
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


@pytest.fixture
def events_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[EventsTable]:
    table = EventsTable(monkeypatch)
    yield table
    chorus_aws.dynamodb().meta.events.unregister("before-call.dynamodb.PutItem", table.before_call)
    chorus_aws.dynamodb().meta.events.unregister("after-call.dynamodb.PutItem", table.after_call)


@dataclass
class Deliveries:
    """What the emulated event source did."""

    invocations: int = 0
    retried: int = 0  # messages the worker reported in batchItemFailures


def queue_url(name: str | None = None) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=name or settings().click_backlog_queue_name)["QueueUrl"]


def waiting(name: str | None = None) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def deliver(client: Any, table: EventsTable, plans: dict[int, dict[int, str]] | None = None) -> Deliveries:
    """Run the backlog worker until the queue is empty, as Lambda's SQS event source does: batches of ten,
    and the messages it reports come back (at once here: the visibility timeout is 0; 12 minutes in AWS).
    ``plans``: invocation number → what happens at its writes (EventsTable)."""
    sqs, url = boto3.client("sqs"), queue_url()
    done = Deliveries()
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    ):
        done.invocations += 1
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {}}
            for m in messages
        ]
        table.next_invocation((plans or {}).get(done.invocations, {}))
        result = client.lambda_.invoke("write_backlog_clicks", {"Records": records}).payload
        failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
        done.retried += len(failed)
        finished = [m for m in messages if m["MessageId"] not in failed]
        if finished:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(finished)],
            )
    table.next_invocation({})
    return done


def logged_clicks() -> list[dict[str, Any]]:
    """Every click in the event log (the attributes these tests look at)."""
    dynamodb, items = boto3.client("dynamodb"), []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=os.environ["EVENTS_TABLE"],
        ProjectionExpression="#type, code, visitor, kind, late",
        ExpressionAttributeNames={"#type": "type"},
    )
    for page in pages:
        items += [item for item in page["Items"] if item["type"]["S"] == "click"]
    return items


@pytest.fixture
def quick_sqs_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's SQS asks its clock (through naive datetimes, ~5 µs) for every message of a queue on every send
    and receive: at a few thousand messages each call takes tens of milliseconds. The same time, read fast."""
    import moto.sqs.models

    monkeypatch.setattr(moto.sqs.models, "unix_time", lambda: time.time())
    monkeypatch.setattr(moto.sqs.models, "unix_time_millis", lambda: time.time() * 1000)


def short_codes(client: Any, world: World, employees: int) -> list[str]:
    """Every network's short link of ``employees`` sharers (Ada and colleagues), as the share route makes them."""
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore

    people = [world.employee_id]
    for n in range(1, employees):
        email = f"colleague{n}@example.com"
        EmployeeStore().put(Employee(id=employee_id_for(email), email=email, name=f"Colleague {n}", team="Sales"))
        people.append(employee_id_for(email))
    codes = []
    for employee_id in people:
        for network in NETWORKS:
            response = client.http.get(signed_share_path(employee_id, world.content_id, network))
            codes.append(short_code_from_intent(response.headers["Location"]))
    return codes


def visitor(n: int) -> dict[str, str]:
    """A different person for each n (the visitor hash covers the user agent)."""
    return {**BROWSER_HEADERS, "User-Agent": BROWSER_HEADERS["User-Agent"].replace("130.0.0.0", f"130.0.{n}.0")}


def test_ten_thousand_throttled_clicks_are_all_redirected_logged_once_and_counted_when_the_table_recovers(
    client: Any, world: World, events_table: EventsTable, quick_sqs_clock: None, caplog: Any
) -> None:
    """The table throttles in waves of 500 clicks (moto's SQS scans the whole queue on every call,
    so 10,000 waiting at once would take it many minutes): every click's write is refused, every visitor is
    redirected, then the table recovers and the worker drains the backlog. One write in a hundred is
    applied although the call fails (its response timed out): that click must not be written twice."""
    from functions.stats.counting import run_once
    from functions.stats.leaderboard import leaderboard

    run_once()  # the schedule has run before: counting starts before the first click
    codes = short_codes(client, world, employees=10)
    events_table.lands_but_fails = lambda n: n % 100 == 0
    waves = 20
    plans = {  # the first wave's faults, by the worker's invocation
        1: dict.fromkeys(range(6, 11), "throttle"),  # its writes fail from the sixth on
        3: {5: "out of time"},  # the invocation's time runs short after five writes
    }
    clicked: Counter[str] = Counter()
    clicking = draining = 0.0
    landed = 0
    deliveries = []
    for wave in range(waves):
        started = time.perf_counter()
        events_table.next_invocation({})  # counts the wave's writes from 1
        events_table.throttled = True
        for n in range(wave * CLICKS // waves, (wave + 1) * CLICKS // waves):
            code = codes[n % len(codes)]
            response = client.http.get(f"/{code}", headers=visitor(n))
            assert response.status_code == 302, (n, response.status_code)
            assert response.headers["Location"].startswith("https://www.example.com/news/launch")
            clicked[code] += 1
        landed += CLICKS // waves // 100
        assert events_table.refused == sum(clicked.values()) - landed
        assert waiting() == CLICKS // waves
        if wave == 0:
            assert len(logged_clicks()) == landed  # only the writes that landed although they failed
            for body in ("not json", json.dumps({"event": {"type": "click", "at": "yesterday"}})):
                boto3.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body)
        lap = time.perf_counter()
        clicking += lap - started

        events_table.throttled = False  # the table recovers
        deliveries.append(deliver(client, events_table, plans if wave == 0 else None))
        draining += time.perf_counter() - lap

    assert not [r for r in caplog.records if r.getMessage() == "click_tracking_failed"]
    assert deliveries[0].retried == 5 + 5  # the five refused writes, and the five not started in time
    clicks = logged_clicks()
    assert len(clicks) == CLICKS
    assert len({c["visitor"]["S"] for c in clicks}) == CLICKS  # every click once: no duplicates, none lost
    assert Counter(c["code"]["S"] for c in clicks) == clicked
    assert all(c["kind"]["S"] == "human" for c in clicks)
    late = Counter(c.get("late", {}).get("BOOL", False) for c in clicks)
    assert landed and late == {True: CLICKS - landed, False: landed}
    dropped = [r for r in caplog.records if r.getMessage() == "malformed_click_backlog_message"]
    assert len(dropped) == 2
    assert waiting() == 0 and waiting(f"{settings().click_backlog_queue_name}-dead") == 0

    started = time.perf_counter()
    s = settings()
    counted = 0
    while (report := run_once(at=time.time() + s.count_slice_seconds + s.count_grace_seconds)).slices:
        counted += report.events
    board = leaderboard("all", None, 20)
    assert counted == CLICKS  # the late ones too, each once
    assert sum(entry.human_clicks for entry in board) == CLICKS
    # One address (the test client's) for every visitor: 3 unique clicks per link, however many agents.
    assert sum(entry.unique_human_clicks for entry in board) == 3 * len(codes)
    print(
        f"\n{CLICKS} throttled clicks redirected in {clicking:.1f} s, their backlog written in {draining:.1f} s, "
        f"counted in {time.perf_counter() - started:.1f} s"
    )


def test_a_click_whose_write_keeps_failing_waits_in_the_dead_letter_queue_after_five_tries(
    client: Any, world: World, events_table: EventsTable
) -> None:
    """The queue's redrive policy comes from infra/template.yaml, as deployed (infra/resources.py)."""
    from infra.local.queues import QueuePump

    [code, *_] = short_codes(client, world, employees=1)
    events_table.throttled = True  # and it stays throttled
    assert client.http.get(f"/{code}", headers=visitor(1)).status_code == 302

    def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return client.lambda_.invoke("write_backlog_clicks", event).payload

    queue = settings().click_backlog_queue_name
    pump = QueuePump(boto3.client("sqs"), queue, worker, "write_backlog_clicks", batch_size=10, retry_seconds=0)
    for _ in range(5):
        assert pump.pump(rounds=1) == 0 and waiting() == 1
    pump.pump(rounds=1)  # a sixth receive: SQS moves it to the dead-letter queue instead
    assert (waiting(), waiting(f"{queue}-dead")) == (0, 1)
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(QueueUrl=queue_url(f"{queue}-dead"))["Messages"]
    assert json.loads(message["Body"])["event"]["code"] == code  # kept whole, for an operator to redrive
    assert logged_clicks() == []
