"""An approved suggestion's points are never lost, and a failed approval writes nothing (issue 13).

The approval, the new library item and the event that credits the employee are written together
(functions/content/suggestions.py). These tests make a table fail the way DynamoDB fails and check what the
admin and the employee see: an error to retry, the suggestion back in the queue, no half-made item, no
points; after the retry the points, exactly once, from the real counting run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions import aws
from functions.config import settings
from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.content.suggestions import suggest
from functions.content.urls import content_id_for_url
from functions.directory.model import Employee
from functions.directory.store import EmployeeStore
from tests.conftest import Clock, run_counting
from tests.integration.test_counting import totals

ARTICLE = "https://www.example.com/blog/serverless-at-scale/"
ADA = "ada"


class TableTrouble:
    """The real (moto) client, except for writes that touch one table while ``active``:

    - ``cancelled``: DynamoDB cancels a transaction touching the table (its item throttled), writing nothing,
      and refuses a single write to it with ProvisionedThroughputExceededException;
    - ``throttled``: every write touching it is refused with ProvisionedThroughputExceededException;
    - ``unreachable``: the request never gets an answer (a network error), nothing written;
    - ``lost``: the write lands, then its answer is lost (a timeout after DynamoDB committed).
    """

    def __init__(self, table: str, trouble: str) -> None:
        self.real = aws.dynamodb()
        self.table, self.trouble = table, trouble
        self.active = True

    def put_item(self, **request: Any) -> Any:
        return self._write("PutItem", [request["TableName"]], self.real.put_item, request)

    def transact_write_items(self, **request: Any) -> Any:
        tables = [next(iter(item.values()))["TableName"] for item in request["TransactItems"]]
        return self._write("TransactWriteItems", tables, self.real.transact_write_items, request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def _write(self, operation: str, tables: list[str], call: Any, request: dict[str, Any]) -> Any:
        from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

        if not self.active or self.table not in tables:
            return call(**request)
        endpoint = "https://dynamodb.eu-west-1.amazonaws.com/"
        if self.trouble == "unreachable":
            raise EndpointConnectionError(endpoint_url=endpoint)
        if self.trouble == "lost":
            call(**request)
            raise ReadTimeoutError(endpoint_url=endpoint)
        if self.trouble == "cancelled" and operation == "TransactWriteItems":
            reasons = [{"Code": "ProvisionedThroughputExceeded" if t == self.table else "None"} for t in tables]
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise self.real.exceptions.TransactionCanceledException(
                {"Error": error, "CancellationReasons": reasons}, operation
            )
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "The level of configured throughput"}
        raise ClientError({"Error": error}, operation)


def trouble_with(monkeypatch: pytest.MonkeyPatch, table: str, trouble: str) -> TableTrouble:
    """Every store built from now on talks to DynamoDB through the troubled client."""
    troubled = TableTrouble(table, trouble)
    monkeypatch.setattr(aws, "dynamodb", lambda: troubled)
    return troubled


@pytest.fixture
def admin(aws: None) -> dict[str, str]:
    from functions.admin.tokens import AdminTokenStore

    return {"Authorization": f"Bearer {AdminTokenStore().create('hr')}", "Content-Type": "application/json"}


@pytest.fixture
def suggestion(client: Any, clock: Clock) -> str:
    """Ada (in the directory) suggested the article; the counting run has started (its checkpoint is set)."""
    run_counting(client)
    EmployeeStore().put(Employee(id=ADA, email="ada@example.com", name="Ada", team="Marketing"))
    return suggest(ADA, ARTICLE, "Our CTO is quoted").id


def approve(client: Any, admin: dict[str, str], suggestion_id: str) -> Any:
    body = json.dumps({"publish": True, "title": "Serverless at scale"}).encode()
    return client.http.post(f"/api/admin/suggestions/{suggestion_id}/approve", headers=admin, body=body)


def queue(client: Any, admin: dict[str, str]) -> list[str]:
    return [s["id"] for s in client.http.get("/api/admin/suggestions", headers=admin).json_body["items"]]


def library_item(client: Any, admin: dict[str, str]) -> Any:
    return client.http.get(f"/api/admin/content/{content_id_for_url(ARTICLE)}", headers=admin)


def points_after_counting(client: Any, clock: Clock) -> int:
    clock.close_slice()
    run_counting(client)
    return totals(ADA).get("points", 0)


@pytest.mark.parametrize("trouble", ["cancelled", "throttled", "unreachable"])
def test_when_the_points_cannot_be_written_the_approval_is_refused_whole_and_a_retry_credits_once(
    client: Any, clock: Clock, admin: dict[str, str], suggestion: str, trouble: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    troubled = trouble_with(monkeypatch, settings().events_table, trouble)

    refused = approve(client, admin, suggestion)

    assert refused.status_code == 503, refused.json_body
    assert refused.headers["Retry-After"]
    assert "try again" in refused.json_body["error"]
    assert "try again" in refused.json_body["fields"]["suggestion_id"]  # what the admin page shows
    assert queue(client, admin) == [suggestion]  # pending again, for any moderator
    assert library_item(client, admin).status_code == 404  # no item without its points
    assert points_after_counting(client, clock) == 0

    troubled.active = False  # DynamoDB recovered: the admin clicks Approve again
    approved = approve(client, admin, suggestion)

    assert approved.status_code == 200 and approved.json_body["status"] == "published"
    assert queue(client, admin) == [] and library_item(client, admin).status_code == 200
    assert points_after_counting(client, clock) == settings().points_per_approved_suggestion
    assert approve(client, admin, suggestion).status_code == 409  # a second click credits nothing more
    assert points_after_counting(client, clock) == settings().points_per_approved_suggestion


def test_an_article_already_in_the_library_is_credited_with_the_approval_or_not_at_all(
    client: Any, clock: Clock, admin: dict[str, str], suggestion: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ContentStore().add(
        new_content(url=ARTICLE, title="From the feed", content_id=content_id_for_url(ARTICLE), actor="feed")
    )
    troubled = trouble_with(monkeypatch, settings().events_table, "throttled")

    refused = approve(client, admin, suggestion)

    assert refused.status_code == 503
    assert queue(client, admin) == [suggestion]
    assert library_item(client, admin).json_body["title"] == "From the feed"  # untouched
    assert points_after_counting(client, clock) == 0

    troubled.active = False
    approved = approve(client, admin, suggestion)

    assert approved.status_code == 200 and approved.json_body["title"] == "From the feed"  # linked, not replaced
    assert points_after_counting(client, clock) == settings().points_per_approved_suggestion
    assert approve(client, admin, suggestion).status_code == 409
    assert points_after_counting(client, clock) == settings().points_per_approved_suggestion


def test_an_approval_whose_answer_was_lost_after_it_landed_is_reported_done(
    client: Any, clock: Clock, admin: dict[str, str], suggestion: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB wrote everything, then the answer timed out: the admin is told it is done, not to retry."""
    trouble_with(monkeypatch, settings().content_table, "lost")

    approved = approve(client, admin, suggestion)

    assert approved.status_code == 200 and approved.json_body["title"] == "Serverless at scale"
    assert queue(client, admin) == [] and library_item(client, admin).status_code == 200
    assert points_after_counting(client, clock) == settings().points_per_approved_suggestion


def test_a_rejection_landing_while_the_approval_is_written_wins_and_nothing_is_published(
    suggestion: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB cancels a transaction whose item another write changes meanwhile (TransactionConflict)."""
    from functions.content import suggestions

    real = aws.dynamodb()

    class RejectedMeanwhile(TableTrouble):
        def transact_write_items(self, **request: Any) -> Any:
            suggestions.reject(suggestion, moderator="fast", note="Not for us")
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (len(request["TransactItems"]) - 1)
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise real.exceptions.TransactionCanceledException(
                {"Error": error, "CancellationReasons": reasons}, "TransactWriteItems"
            )

    racing = RejectedMeanwhile(settings().suggestions_table, "none")
    monkeypatch.setattr(aws, "dynamodb", lambda: racing)

    with pytest.raises(suggestions.SuggestionAlreadyDecidedError):
        suggestions.approve(suggestion, moderator="slow", publish=True)

    assert suggestions.get_suggestion(suggestion).status == "rejected"
    assert ContentStore().get(content_id_for_url(ARTICLE)) is None
