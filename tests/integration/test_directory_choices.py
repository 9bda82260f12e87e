"""An employee's own choices survive re-imports of the directory: over HTTP, against the template's tables in moto.

An unsubscribe lifted by an HR export would be mail sent against someone's stated wish (a legal problem), so
every way of choosing is exercised: the one-click and mailto unsubscribes, the preferences page, the name
switch, and a choice (or a bounce) that lands while the import is running.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from functions import aws
from functions.admin.tokens import AdminTokenStore
from functions.config import settings
from functions.directory.model import employee_id_for
from functions.directory.service import import_employees
from functions.directory.store import EmployeeStore

HEADER = "email,name,team,locale,timezone,cadence,topics,show_name"
ADA = employee_id_for("ada@example.com")
BOB = employee_id_for("bob@example.com")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def admin(aws: None) -> dict[str, str]:
    return {"Authorization": f"Bearer {AdminTokenStore().create('hr')}", "Content-Type": "text/csv"}


def import_csv(client: Any, admin: dict[str, str], *rows: str) -> dict[str, Any]:
    body = "\r\n".join((HEADER, *rows)).encode()
    response = client.http.post("/api/admin/employees/import", headers=admin, body=body)
    assert response.status_code == 200, response.body
    return response.json_body


def stored(employee_id: str) -> dict[str, Any]:
    """The raw item: what the digest planner's index (digest_slot) and the next import see."""
    item = aws.dynamodb().get_item(TableName=settings().employees_table, Key={"id": {"S": employee_id}})["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


def query_token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def unsubscribe_by(how: str, client: Any) -> None:
    from functions.digest.inbound import handle_unsubscribe_mail
    from functions.digest.preferences import preferences_url, unsubscribe_mailto, unsubscribe_url

    if how == "one-click":
        url = unsubscribe_url(ADA)
        response = client.http.post(
            f"/unsubscribe?{urlsplit(url).query}", headers=FORM, body="List-Unsubscribe=One-Click"
        )
    elif how == "preferences page":
        form = {"token": query_token(preferences_url(ADA)), "action": "unsubscribe"}
        response = client.http.post("/preferences", headers=FORM, body=urlencode(form))
    else:  # mailto: SES receives the mail the List-Unsubscribe mailto prefilled
        subject = parse_qs(urlsplit(unsubscribe_mailto(ADA)).query)["subject"][0]
        notice = {"notificationType": "Received", "receipt": {}, "mail": {"commonHeaders": {"subject": subject}}}
        assert handle_unsubscribe_mail(json.dumps(notice)).unsubscribed == ADA
        return
    assert response.status_code == 200


@pytest.mark.parametrize("how", ["one-click", "preferences page", "mailto"])
def test_an_unsubscribe_is_never_lifted_by_a_reimport(client: Any, admin: dict[str, str], how: str) -> None:
    import_csv(client, admin, "ada@example.com,Ada,Eng,en,Europe/Warsaw,weekly:friday,news,yes")
    unsubscribe_by(how, client)

    report = import_csv(client, admin, "ada@example.com,Ada,Sales,en,Europe/Warsaw,daily,news,yes")

    item = stored(ADA)
    assert item["digest_cadence"] == "off" and "digest_slot" not in item  # the planner never finds her
    assert item["team"] == "Sales"  # the rest of the row is applied
    assert report["updated"] == 1
    assert report["choices_kept"] == [{"line": 2, "email": "ada@example.com", "fields": {"digest_cadence": "off"}}]


def test_an_unsubscribe_counts_even_when_an_import_had_already_turned_the_digest_off(
    client: Any, admin: dict[str, str]
) -> None:
    import_csv(client, admin, "ada@example.com,Ada,Eng,en,UTC,off,,yes")
    unsubscribe_by("one-click", client)  # nothing to switch off, but now it is her wish

    report = import_csv(client, admin, "ada@example.com,Ada,Eng,en,UTC,daily,,yes")

    assert stored(ADA)["digest_cadence"] == "off"
    assert report["choices_kept"][0]["fields"] == {"digest_cadence": "off"}


def test_a_hidden_name_stays_hidden_and_a_file_that_agrees_is_not_reported(client: Any, admin: dict[str, str]) -> None:
    from functions.directory.tokens import employee_token

    import_csv(client, admin, "ada@example.com,Ada,Eng,en,UTC,daily,,yes")
    hidden = client.http.put(
        "/api/me/name-visibility",
        headers={"Authorization": f"Employee {employee_token(ADA)}", "Content-Type": "application/json"},
        body=json.dumps({"show_name": False}),
    )
    assert hidden.status_code == 200

    report = import_csv(client, admin, "ada@example.com,Ada,Eng,en,UTC,daily,,yes")
    assert stored(ADA)["show_name"] is False
    assert (report["unchanged"], report["choices_kept"]) == (
        1,
        [{"line": 2, "email": "ada@example.com", "fields": {"show_name": False}}],
    )
    agreeing = import_csv(client, admin, "ada@example.com,Ada,Eng,en,UTC,daily,,no")
    assert agreeing["choices_kept"] == []


def test_what_the_preferences_page_changed_is_kept_and_what_it_left_follows_the_file(
    client: Any, admin: dict[str, str]
) -> None:
    from functions.digest.preferences import preferences_url

    import_csv(client, admin, "ada@example.com,Ada,Eng,en,Europe/Warsaw,weekly:monday,news,yes")
    form = {
        "token": query_token(preferences_url(ADA)),
        "cadence": "weekly",
        "weekday": "friday",  # changed
        "language": "pl",  # changed
        "topics": "news",  # as it was: still the directory's to set
        "other_topics": "",
    }
    assert client.http.post("/preferences", headers=FORM, body=urlencode(form)).status_code == 200

    report = import_csv(client, admin, "ada@example.com,Ada,Eng,lt,Europe/Vilnius,daily,news;ai,yes")

    ada = EmployeeStore().get(ADA)
    assert ada is not None
    assert (ada.digest_cadence, ada.locale) == ("weekly:friday", "pl")  # hers
    assert (ada.topics, ada.timezone) == (("news", "ai"), "Europe/Vilnius")  # the file's
    assert stored(ADA)["digest_slot"] == "Europe/Vilnius#friday"  # the planner's index follows both
    assert report["choices_kept"] == [
        {"line": 2, "email": "ada@example.com", "fields": {"digest_cadence": "weekly:friday", "locale": "pl"}}
    ]


class ChoiceDuringImport:
    """The real (moto) client; just before the import's first write, Ada unsubscribes and Bob's mail bounces."""

    def __init__(self) -> None:
        self.real = aws.dynamodb()
        self.calls: Counter[str] = Counter()
        self.happened = False

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        if name in ("batch_write_item", "transact_write_items", "put_item") and not self.happened:
            from functions.digest.preferences import unsubscribe

            self.happened = True
            unsubscribe(ADA, store=EmployeeStore())
            EmployeeStore().suppress_mail(BOB, "bounce", "2026-03-02T09:00:00+00:00")
        return getattr(self.real, name)


def test_a_choice_or_a_bounce_landing_while_the_import_runs_is_not_overwritten(aws: None) -> None:
    first = "\r\n".join(
        (HEADER, "ada@example.com,Ada,Eng,en,UTC,daily,,yes", "bob@example.com,Bob,Eng,en,UTC,daily,,yes")
    )
    import_employees(first)
    client = ChoiceDuringImport()
    again = first.replace(",Eng,", ",Sales,")

    report = import_employees(again, store=EmployeeStore(client=client, pause=lambda seconds: None))

    ada, bob = stored(ADA), stored(BOB)
    assert ada["digest_cadence"] == "off" and "digest_slot" not in ada
    assert bob["mail_suppressed"]["reason"]["S"] == "bounce" and "digest_slot" not in bob
    assert ada["team"] == bob["team"] == "Sales"  # both rows were still applied, on the fresh items
    assert (report.applied, report.updated, report.written_lines) == (True, 2, (2, 3))
    assert [(kept.line, kept.fields) for kept in report.choices_kept] == [(2, {"digest_cadence": "off"})]
    assert client.calls["scan"] == 0


class FailingTransactions:
    """The real (moto) client, except that every TransactWriteItems fails as DynamoDB's bad day would."""

    def __init__(self) -> None:
        self.real = aws.dynamodb()

    def transact_write_items(self, **kwargs: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "scripted"}}, "TransactWriteItems")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_when_updates_cannot_be_written_the_report_says_exactly_which_lines_were(aws: None) -> None:
    from functions.directory.service import ImportInterruptedError

    import_employees("\r\n".join((HEADER, "ada@example.com,Ada,Eng,en,UTC,daily,,yes")))
    rows = (HEADER, "ada@example.com,Ada,Sales,en,UTC,daily,,yes", "bob@example.com,Bob,Eng,en,UTC,daily,,yes")

    with pytest.raises(ImportInterruptedError) as caught:
        import_employees("\r\n".join(rows), store=EmployeeStore(client=FailingTransactions(), pause=lambda s: None))

    report = caught.value.report
    assert (report.applied, report.created, report.updated) == (False, 1, 0)
    assert (report.written_lines, report.unwritten_lines) == ((3,), (2,))
    assert "InternalServerError" in (report.error or "")
    assert stored(ADA)["team"] == "Eng" and stored(BOB)["team"] == "Eng"
