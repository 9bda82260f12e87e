"""Faults injected into the app's own AWS clients: DynamoDB errors on the redirect, a site rebuild dying
half-way through a stream batch, a mailed unsubscribe delivered twice.

The app's handlers run in-process over moto as Lambda runs them (Chalice's test client; stream batches read
from the table's real stream by infra/local/streams.py). Faults are answered by a botocore ``before-call``
hook on the app's client instead of the service, as botocore's Stubber does: the call raises what the SDK
raises once its own retries are spent (a 500 InternalServerError, a read timeout).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from functions import aws as chorus_aws
from tests.conftest import BROWSER_HEADERS, SHARER_HEADERS, Clock, World, short_code_from_intent, signed_share_path

Fault = Callable[[dict[str, Any]], Any]


def internal_server_error(params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    error = {"Code": "InternalServerError", "Message": "Internal server error"}
    return AWSResponse(params["url"], 500, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 500}}


def read_timeout(params: dict[str, Any]) -> None:
    raise ReadTimeoutError(endpoint_url=params["url"])


FAULTS = {"InternalServerError": internal_server_error, "a read timeout": read_timeout}


class FailingTable:
    """While ``fault`` is set, every ``operation`` on ``table`` fails with it (nothing reaches moto)."""

    def __init__(self, operation: str, table: str) -> None:
        self.operation, self.table = operation, table
        self.fault: Fault | None = None
        self.failed = 0
        self.event = f"before-call.dynamodb.{operation}"
        chorus_aws.dynamodb().meta.events.register(self.event, self.before_call)

    def before_call(self, params: dict[str, Any], **_: Any) -> Any:
        if self.fault is None or json.loads(params["body"]).get("TableName") != self.table:
            return None
        self.failed += 1
        return self.fault(params)

    def remove(self) -> None:
        chorus_aws.dynamodb().meta.events.unregister(self.event, self.before_call)


@pytest.fixture
def failing() -> Iterator[Callable[[str, str], FailingTable]]:
    made: list[FailingTable] = []

    def make(operation: str, table: str) -> FailingTable:
        made.append(FailingTable(operation, table))
        return made[-1]

    yield make
    for table in made:
        table.remove()


def visitor(n: int) -> dict[str, str]:
    """A different person for each n (the visitor hash covers the user agent)."""
    return {**BROWSER_HEADERS, "User-Agent": BROWSER_HEADERS["User-Agent"].replace("130.0.0.0", f"130.0.{n}.0")}


def share_code(client: Any, world: World) -> str:
    response = client.http.get(
        signed_share_path(world.employee_id, world.content_id, "linkedin"), headers=SHARER_HEADERS
    )
    assert response.status_code == 302
    return short_code_from_intent(response.headers["Location"])


def drain_backlog(client: Any, rounds: int = 100) -> int:
    """Run the click backlog's worker on batches of ten until its queue is empty or ``rounds`` batches were
    delivered (as its SQS event source would; a failed message comes back at once); returns the written."""
    from functions.config import settings
    from infra.local.queues import QueuePump

    def worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return client.lambda_.invoke("write_backlog_clicks", event).payload

    queue = settings().click_backlog_queue_name
    return QueuePump(boto3.client("sqs"), queue, worker, "write_backlog_clicks", 10, retry_seconds=0).pump(rounds)


def logged_clicks() -> list[dict[str, Any]]:
    import os

    items = boto3.client("dynamodb").scan(TableName=os.environ["EVENTS_TABLE"])["Items"]
    return [item for item in items if item["pk"]["S"].startswith("T#") and item["type"]["S"] == "click"]


def human_clicks_on_the_board() -> int:
    from functions.stats.leaderboard import leaderboard

    return sum(entry.human_clicks for entry in leaderboard("all", None, 20))


@pytest.mark.parametrize("fault", FAULTS)
def test_event_writes_failing_with_errors_still_redirect_everyone_and_count_each_click_once(
    client: Any, world: World, count_clicks: Any, failing: Any, fault: str
) -> None:
    import os

    code = share_code(client, world)
    writes = failing("PutItem", os.environ["EVENTS_TABLE"])
    writes.fault = FAULTS[fault]
    for n in range(12):
        response = client.http.get(f"/{code}", headers=visitor(n))
        assert response.status_code == 302, response.body
        assert response.headers["Location"].startswith("https://www.example.com/news/launch")
    assert writes.failed == 12 and logged_clicks() == []

    assert drain_backlog(client, rounds=2) == 0  # the table still fails: every click waits on the queue
    writes.fault = None  # the fault clears
    assert drain_backlog(client) == 12
    assert drain_backlog(client) == 0
    clicks = logged_clicks()
    assert len(clicks) == 12 and len({c["visitor"]["S"] for c in clicks}) == 12
    count_clicks()
    assert human_clicks_on_the_board() == 12


@pytest.mark.parametrize("fault", FAULTS)
def test_link_lookups_failing_with_errors_serve_the_last_copy_and_every_click_is_counted_once(
    client: Any, world: World, count_clicks: Any, failing: Any, fault: str
) -> None:
    import os

    from functions.links import redirect

    code = share_code(client, world)
    assert client.http.get(f"/{code}", headers=visitor(0)).status_code == 302  # this Lambda has seen the link
    lookups = failing("GetItem", os.environ["LINKS_TABLE"])
    lookups.fault = FAULTS[fault]
    for n in range(1, 6):
        redirect._cache().clear()  # the fresh copy expired: every click asks DynamoDB, which fails
        response = client.http.get(f"/{code}", headers=visitor(n))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("https://www.example.com/news/launch")
    assert lookups.failed == 5

    redirect.reset()  # a new Lambda that never saw the link: nothing to serve, so the visitor is asked to retry
    response = client.http.get(f"/{code}", headers=visitor(6))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")
    lookups.fault = None
    assert client.http.get(f"/{code}", headers=visitor(6)).status_code == 302  # the retry, once it clears

    assert len(logged_clicks()) == 7  # the refused try wrote nothing; each redirect one event
    count_clicks()
    assert human_clicks_on_the_board() == 7


def test_the_lookup_and_the_write_failing_together_still_redirect_and_count(
    client: Any, world: World, count_clicks: Any, failing: Any
) -> None:
    import os

    from functions.links import redirect

    code = share_code(client, world)
    assert client.http.get(f"/{code}", headers=visitor(0)).status_code == 302
    redirect._cache().clear()
    lookups = failing("GetItem", os.environ["LINKS_TABLE"])
    writes = failing("PutItem", os.environ["EVENTS_TABLE"])
    lookups.fault = writes.fault = internal_server_error
    assert client.http.get(f"/{code}", headers=visitor(1)).status_code == 302
    lookups.fault = writes.fault = None
    assert drain_backlog(client) == 1
    count_clicks()
    assert human_clicks_on_the_board() == 2


# --- the site's stream handlers ----------------------------------------------------------------------


class FailingUploads:
    """The site bucket's PutObject answers 500 from the ``after``-th upload on, while ``failing``."""

    def __init__(self, after: int) -> None:
        self.after, self.uploads, self.failing = after, 0, True
        chorus_aws.client("s3").meta.events.register("before-call.s3.PutObject", self.before_call)

    def before_call(self, params: dict[str, Any], **_: Any) -> Any:
        self.uploads += 1
        if not self.failing or self.uploads < self.after:
            return None
        error = {"Code": "InternalError", "Message": "We encountered an internal error. Please try again."}
        return AWSResponse(params["url"], 500, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 500}}

    def remove(self) -> None:
        chorus_aws.client("s3").meta.events.unregister("before-call.s3.PutObject", self.before_call)


def site_pages() -> dict[str, str]:
    from functions.config import settings

    s3, bucket = boto3.client("s3"), settings().site_bucket
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in page["Contents"]]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode() for k in keys if k.endswith(".html")}


@pytest.mark.parametrize(
    ("handler", "table"), [("rebuild_site", "CONTENT_TABLE"), ("rebuild_site_for_directory", "EMPLOYEES_TABLE")]
)
def test_a_rebuild_dying_half_way_through_a_stream_batch_is_redone_when_the_batch_comes_back(
    client: Any, clock: Clock, count_clicks: Any, handler: str, table: str
) -> None:
    """Lambda retries a stream batch whose handler raised: the retry must not find the dead run's build lease
    (it would be refused until the lease ran out), and the site must end as if the first run had succeeded."""
    import os

    from functions.content.service import archive_content, update_content
    from functions.directory.service import set_name_visibility
    from functions.sitegen.build import rebuild
    from infra.local.demo import demo_data, seed
    from infra.local.streams import StreamPump
    from tests.integration.test_site_build import share

    people = seed(activity=False)
    items = [row["id"] for row in demo_data()["content"]]
    for person in people:  # everyone on the boards: one share each, 11 s apart (never a scanner's burst)
        share(person.id, items[0], "linkedin")
        clock.at += 11
    count_clicks()
    rebuild()
    pump = StreamPump(
        boto3.client("dynamodb"),
        boto3.client("dynamodbstreams"),
        os.environ[table],
        lambda event: client.lambda_.invoke(handler, event).payload,
    )
    pump.start("LATEST")
    [first, second, *_] = items
    if handler == "rebuild_site":  # a batch of three changes
        update_content(first, {"title": "A title written during the outage"}, "admin:test")
        update_content(second, {"title": "Another title written during the outage"}, "admin:test")
        archive_content("office-lt", "admin:test")
    else:  # a batch of the whole directory's changes: everyone hides their name
        for person in people:
            set_name_visibility(person.id, show_name=False)

    uploads = FailingUploads(after=3)
    try:
        with pytest.raises(Exception, match="InternalError"):
            pump.pump()  # two pages uploaded, then the bucket fails: the batch is not acknowledged
        half_way = site_pages()
        uploads.failing = False
        assert pump.pump() > 0  # the same batch, delivered again
    finally:
        uploads.remove()

    pages = site_pages()
    assert pages != half_way
    if handler == "rebuild_site":
        text = "\n".join(pages.values())
        assert "A title written during the outage" in text and "Another title written during the outage" in text
        assert not [key for key in pages if "office-lt" in key]
    else:
        boards = {k: v for k, v in pages.items() if "leaderboard" in k}
        assert boards and not [p.name for p in people if any(p.name in page for page in boards.values())]
    again = rebuild()  # the site is whole: nothing left to write
    assert (again.rendered, again.written, again.deleted) == (0, 0, 0)


# --- mail: a notice delivered twice ----------------------------------------------------------------


def test_a_mailed_unsubscribe_delivered_twice_turns_the_digest_off_once_and_sends_nothing(
    client: Any, aws: None
) -> None:
    """SNS delivers at least once: the second copy of the same inbound mail changes nothing and mails no one."""
    from functions.digest.preferences import unsubscribe_token
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore
    from tests.integration.test_digest_pipeline import inbound_mail

    email = "ola@example.com"
    store = EmployeeStore()
    store.put(Employee(id=employee_id_for(email), email=email, name="Ola", team="Sales"))
    notice = inbound_mail("unsubscribe " + unsubscribe_token(employee_id_for(email)))
    ses = boto3.client("ses")
    sent_before = ses.get_send_quota()["SentLast24Hours"]
    assert client.lambda_.invoke("unsubscribe_mail", notice).payload == {"unsubscribed": 1}
    changed = store.get(employee_id_for(email))
    assert changed is not None and changed.digest_cadence == "off"
    client.lambda_.invoke("unsubscribe_mail", notice)  # the same notice again
    assert store.get(employee_id_for(email)) == changed  # nothing rewritten, no second change
    assert ses.get_send_quota()["SentLast24Hours"] == sent_before
