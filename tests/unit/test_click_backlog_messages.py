"""The click backlog's messages: a queued click comes back whole; anything else is refused by name."""

from __future__ import annotations

import json

import pytest

from functions.clicks.backlog import BacklogMessageError, click_from_message, message_body
from functions.events import Event

CLICK = Event(
    type="click",
    at="2026-11-23T08:05:37.123Z",
    employee_id="e" * 32,
    content_id="launch",
    network="linkedin",
    team="Marketing",
    code="Ab3dEf9H",
    kind="human",
    visitor="f" * 32,
    referrer_host="www.linkedin.com",
    country="PL",
    device="mobile",
    method="GET",
)
KEY = {"pk": {"S": "T#2026-11-23T08:05:00Z#3"}, "sk": {"S": "2026-11-23T08:05:37.123Z#0a1b2c3d"}}  # the log key


def test_a_queued_click_comes_back_whole_with_the_key_its_write_used_and_stays_small() -> None:
    body = message_body(CLICK, KEY)
    click = click_from_message(body)
    assert (click.event, click.key) == (CLICK, KEY)
    assert len(body.encode()) < 1024  # SQS bills per 64 KB; a click is a few hundred bytes


def test_a_click_without_a_key_is_still_written() -> None:
    body = json.dumps({"event": json.loads(message_body(CLICK, KEY))["event"]})
    assert click_from_message(body).key is None


def mangled(**changes: object) -> str:
    message = json.loads(message_body(CLICK, KEY))
    message["event"].update(changes)
    return json.dumps({k: v for k, v in message.items() if v is not None})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "no event"),
        (json.dumps({"key": KEY}), "no event"),
        (mangled(type="share"), "only clicks are queued"),
        (mangled(employee_id=None), "event.employee_id is missing"),
        (mangled(code=""), "event.code must be a non-empty str"),
        (mangled(team=7), "event.team must be a non-empty str"),
        (mangled(country=["PL"]), "event.country must be a non-empty str"),
        (mangled(at="yesterday"), "event.at is not a timestamp"),
        (json.dumps({"event": json.loads(message_body(CLICK, KEY))["event"], "key": {"pk": "x"}}), "key"),
        (json.dumps({"event": json.loads(message_body(CLICK, KEY))["event"], "key": {"pk": {"N": "1"}}}), "key"),
    ],
)
def test_a_message_that_holds_no_click_is_refused_with_the_reason(body: str, problem: str) -> None:
    with pytest.raises(BacklogMessageError, match=problem):
        click_from_message(body)
