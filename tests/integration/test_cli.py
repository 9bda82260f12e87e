"""Operator commands, run against moto."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3

from functions import cli
from functions.admin.tokens import AdminTokenStore
from tests.conftest import BROWSER_HEADERS, World, short_code_from_intent, signed_share_path


def test_admin_token_command_prints_a_working_token(aws: None, capsys: Any) -> None:
    assert cli.main(["admin-token", "ops"]) == 0
    token = capsys.readouterr().out.strip().removeprefix("Admin token: ")
    assert AdminTokenStore().verify(f"Bearer {token}").label == "ops"
    assert cli.main(["revoke-token", token]) == 0
    assert cli.main(["revoke-token", "chorus_adm_unknown"]) == 1


def test_init_secret_is_idempotent(aws: None, capsys: Any) -> None:
    assert cli.main(["init-secret"]) == 0
    assert capsys.readouterr().out.strip() == "already present"


def test_clicks_logged_during_an_outage_are_replayed_and_counted_once(
    client: Any, world: World, caplog: Any, monkeypatch: Any, count_clicks: Any
) -> None:
    from functions.config import settings
    from functions.links import redirect

    code = short_code_from_intent(
        client.http.get(signed_share_path(world.employee_id, world.content_id, "linkedin")).headers["Location"]
    )
    store = redirect._events()
    sqs = boto3.client("sqs")  # the backlog queue is out too: the click survives only in the log line
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=settings().click_backlog_queue_name)["QueueUrl"])

    def outage(item: dict[str, Any]) -> None:
        raise ConnectionError("DynamoDB unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(store, "put_item", outage)
        assert client.http.get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302
    logged = [
        json.dumps({"message": r.getMessage(), "replay_item": r.replay_item})
        for r in caplog.records
        if r.getMessage() == "click_tracking_failed"
    ]
    count_clicks()  # the minute the click would have been written in is counted before anyone replays it
    lines = io.StringIO("\n".join(["not json", *logged, *logged]) + "\n")
    assert cli.replay_clicks(lines) == 0
    count_clicks()
    from functions.stats.leaderboard import leaderboard

    [me] = leaderboard("week")
    assert (me.human_clicks, me.unique_human_clicks) == (1, 1)


def test_employees_stored_before_the_planner_index_are_backfilled_once(aws: None, capsys: Any) -> None:
    from datetime import UTC, datetime

    from functions import aws as clients
    from functions.config import settings
    from functions.digest.plan import due_employees
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import DIGEST_SLOT, EmployeeStore

    store = EmployeeStore()
    people = [
        Employee(id=employee_id_for(e), email=e, name=e, team="Ops", timezone="UTC", digest_cadence=cadence)
        for e, cadence in (("a@example.com", "daily"), ("b@example.com", "off"), ("c@example.com", "weekly:monday"))
    ]
    for person in people:
        store.put(person)
        clients.dynamodb().update_item(  # as written by a version without the index
            TableName=settings().employees_table, Key={"id": {"S": person.id}}, UpdateExpression=f"REMOVE {DIGEST_SLOT}"
        )
    monday_eight = datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert list(due_employees(monday_eight)) == []

    assert cli.main(["backfill-digest-slots"]) == 0
    assert capsys.readouterr().out.strip() == "3 employees read, 2 digest slots set or removed"
    assert sorted(due.employee_id for due in due_employees(monday_eight)) == sorted([people[0].id, people[2].id])
    assert cli.main(["backfill-digest-slots"]) == 0
    assert capsys.readouterr().out.strip() == "3 employees read, 0 digest slots set or removed"


def test_an_operator_rebuilds_the_site_now(aws: None, capsys: Any) -> None:
    from functions.sitegen.build import _acquire

    assert cli.main(["build-site"]) == 0
    first = capsys.readouterr().out
    assert " pages rendered, " in first and not first.startswith("0 of")
    assert cli.main(["build-site"]) == 0
    assert capsys.readouterr().out.startswith("0 of ")  # nothing changed
    assert cli.main(["build-site", "--everything"]) == 0
    assert not capsys.readouterr().out.startswith("0 of ")
    _acquire(boto3.client("dynamodb"))  # a scheduled build is running
    assert cli.main(["build-site"]) == 1
    assert "another build of the site is running" in capsys.readouterr().err
