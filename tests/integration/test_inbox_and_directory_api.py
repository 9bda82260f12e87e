"""Directory, suggestions, moderation and feed sources over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.admin.tokens import AdminTokenStore
from tests.conftest import pump_feed_pulls

CSV = (
    "Email,Name,Team,Locale,Time zone,Digest cadence,Topics\r\n"
    "ada@example.com,Ada Lovelace,Engineering,en,Europe/London,weekly:friday,ai;history\r\n"
    "\ufeffnot-an-email,Bob,Sales,pl,Europe/Warsaw,daily,\r\n"
    'JURGA@example.com,"Jankauskienė, Jurga",Sales,lt,Europe/Vilnius,off,\r\n'
)


@pytest.fixture
def admin_headers(aws: None) -> dict[str, str]:
    return {"Authorization": f"Bearer {AdminTokenStore().create('hr')}", "Content-Type": "application/json"}


def send(client: Any, method: str, path: str, headers: dict[str, str], body: object = b"") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.request(method, path, headers=headers, body=raw)


def test_a_csv_import_reports_each_bad_row_and_applies_the_rest(client: Any, admin_headers: dict) -> None:
    headers = {**admin_headers, "Content-Type": "text/csv"}
    response = send(client, "POST", "/api/admin/employees/import", headers, CSV.encode())
    assert response.status_code == 200
    report = response.json_body
    assert (report["applied"], report["created"], report["invalid"]) == (True, 2, 1)
    assert report["errors"][0]["line"] == 3 and "email" in report["errors"][0]["fields"]
    again = send(client, "POST", "/api/admin/employees/import?mode=all_or_nothing", headers, CSV.encode())
    assert (again.json_body["applied"], again.json_body["created"], again.json_body["updated"]) == (False, 0, 0)
    bad_mode = send(client, "POST", "/api/admin/employees/import?mode=some", headers, CSV.encode())
    assert bad_mode.status_code == 400 and set(bad_mode.json_body["fields"]) == {"mode"}
    empty = send(client, "POST", "/api/admin/employees/import", headers, b"")
    assert empty.status_code == 400 and set(empty.json_body["fields"]) == {"body"}
    assert send(client, "POST", "/api/admin/employees/import", {"Content-Type": "text/csv"}, b"x").status_code == 401


HEAD = "email,name,team\r\n"
BROKEN_FILES = {
    "an unclosed quote": ((HEAD + 'ada@example.com,"Ada, Lovelace,Eng\r\n').encode(), r"Line 2 .*quote"),
    "UTF-16 (Excel's 'Unicode text')": ((HEAD + "ada@example.com,Åda,Eng\r\n").encode("utf-16"), r"not UTF-8.*line 1"),
    "Windows-1250": ((HEAD + "ada@example.com,Łucja,Eng\r\n").encode("cp1250"), r"not UTF-8.*line 2.*CSV UTF-8"),
    "a 200 KB cell": ((HEAD + "ada@example.com," + "A" * 200_000 + ",Eng\r\n").encode(), r"Line 2 .*over 131,072 char"),
    "binary": (bytes(range(256)) * 8, r"not UTF-8"),
}


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_a_malformed_csv_is_a_400_naming_the_problem_and_writes_nothing(
    client: Any, admin_headers: dict, name: str
) -> None:
    import re

    from functions.directory.model import employee_id_for
    from functions.directory.store import EmployeeStore

    data, problem = BROKEN_FILES[name]
    headers = {**admin_headers, "Content-Type": "text/csv"}
    response = send(client, "POST", "/api/admin/employees/import", headers, data)
    assert response.status_code == 400, response.body[:300]
    assert response.json_body["error"] == "the file cannot be imported"
    assert re.search(problem, response.json_body["fields"]["body"]), response.json_body
    assert EmployeeStore().get(employee_id_for("ada@example.com")) is None


def test_a_row_of_a_million_cells_is_one_error_and_the_answer_stays_small(client: Any, admin_headers: dict) -> None:
    """Each stray cell used to be its own error: a 2 MB row made a report of a million entries, past what
    Lambda can return (6 MB), so API Gateway would have answered 502 instead of naming the row."""
    data = (HEAD + "ada@example.com,Ada,Eng," + "x," * 1_000_000 + "\r\n").encode()
    response = send(client, "POST", "/api/admin/employees/import", {**admin_headers, "Content-Type": "text/csv"}, data)
    assert response.status_code == 200 and len(response.body) < 1000
    [error] = response.json_body["errors"]
    assert error["line"] == 2
    assert error["fields"] == {"column 4": "has a value but no header (and 999,999 more columns after it)"}
    assert response.json_body["created"] == 0


def test_a_bom_and_script_in_a_name_import_as_text(client: Any, admin_headers: dict) -> None:
    from functions.directory.model import employee_id_for
    from functions.directory.store import EmployeeStore

    data = ("\ufeff" + HEAD + 'ada@example.com,"<script>alert(1)</script>",=HYPERLINK(""x"")\r\n').encode()
    response = send(client, "POST", "/api/admin/employees/import", {**admin_headers, "Content-Type": "text/csv"}, data)
    assert response.status_code == 200 and response.json_body["created"] == 1
    person = EmployeeStore().get(employee_id_for("ada@example.com"))
    assert person is not None and person.name == "<script>alert(1)</script>"  # stored as typed, escaped when shown


def test_offboarding_and_coming_back(client: Any, admin_headers: dict) -> None:
    from functions.directory.model import employee_id_for

    send(client, "POST", "/api/admin/employees/import", {**admin_headers, "Content-Type": "text/csv"}, CSV.encode())
    ada = employee_id_for("ada@example.com")
    gone = send(client, "POST", f"/api/admin/employees/{ada}/deactivate", admin_headers, {"keep_on_leaderboard": True})
    assert gone.status_code == 200 and (gone.json_body["active"], gone.json_body["keep_on_leaderboard"]) == (
        False,
        True,
    )
    back = send(client, "POST", f"/api/admin/employees/{ada}/reactivate", admin_headers)
    assert back.json_body["active"] is True
    assert send(client, "POST", "/api/admin/employees/nobody/reactivate", admin_headers).status_code == 404


def test_an_employee_hides_their_name_with_their_own_token_only(client: Any, world: Any) -> None:
    from functions.directory.tokens import employee_token

    token = employee_token(world.employee_id)
    response = send(
        client,
        "PUT",
        "/api/me/name-visibility",
        {"Authorization": f"Employee {token}", "Content-Type": "application/json"},
        {"show_name": False},
    )
    assert response.status_code == 200 and response.json_body["show_name"] is False
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for header in (f"Employee {forged}", "", f"Bearer {token}"):
        refused = send(client, "PUT", "/api/me/name-visibility", {"Authorization": header}, {"show_name": True})
        assert refused.status_code == 401


def test_a_suggestion_goes_through_moderation_into_the_library(client: Any, world: Any, admin_headers: dict) -> None:
    from functions.directory.tokens import employee_token

    employee = {"Authorization": f"Employee {employee_token(world.employee_id)}", "Content-Type": "application/json"}
    made = send(
        client,
        "POST",
        "/api/suggestions",
        employee,
        {"url": "https://example.org/great-read", "comment": "Our CTO is quoted"},
    )
    assert made.status_code == 201 and made.json_body["status"] == "pending"
    assert (
        send(client, "POST", "/api/suggestions", employee, {"url": "https://example.org/great-read"}).status_code == 409
    )
    other = send(client, "POST", "/api/suggestions", employee, {"url": "https://example.org/meh"}).json_body
    bad = send(client, "POST", "/api/suggestions", employee, {"url": "javascript:alert(1)"})
    assert bad.status_code == 400 and set(bad.json_body["fields"]) == {"url"}

    queue = send(client, "GET", "/api/admin/suggestions", admin_headers).json_body["items"]
    assert {s["url"] for s in queue} == {"https://example.org/great-read", "https://example.org/meh"}
    approved = send(
        client,
        "POST",
        f"/api/admin/suggestions/{made.json_body['id']}/approve",
        admin_headers,
        {"publish": True, "title": "A great read"},
    )
    assert approved.status_code == 200 and approved.json_body["status"] == "published"
    assert approved.json_body["created_by"] == "admin:hr"
    again = send(client, "POST", f"/api/admin/suggestions/{made.json_body['id']}/approve", admin_headers, {})
    assert again.status_code == 409
    no_note = send(client, "POST", f"/api/admin/suggestions/{other['id']}/reject", admin_headers, {})
    assert no_note.status_code == 400 and set(no_note.json_body["fields"]) == {"note"}
    rejected = send(
        client, "POST", f"/api/admin/suggestions/{other['id']}/reject", admin_headers, {"note": "Off topic"}
    )
    assert rejected.json_body["status"] == "rejected"
    assert send(client, "GET", "/api/admin/suggestions", admin_headers).json_body["items"] == []
    feed = client.http.get("/api/feed").json_body["items"]
    assert "A great read" in [i["title"] for i in feed]


def test_feed_sources_are_registered_pulled_and_removed(client: Any, admin_headers: dict, monkeypatch: Any) -> None:
    from functions.content import feed_pulls

    rss = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        b"<item><title>News one</title><link>https://news.example.com/1</link></item></channel></rss>"
    )
    monkeypatch.setattr(feed_pulls, "safe_fetcher", lambda: lambda url: rss)
    added = send(client, "POST", "/api/admin/feed-sources", admin_headers, {"url": "https://news.example.com/rss"})
    assert added.status_code == 201
    assert (
        send(
            client, "POST", "/api/admin/feed-sources", admin_headers, {"url": "https://news.example.com/rss"}
        ).status_code
        == 409
    )
    pulled = send(client, "POST", "/api/admin/feed-sources/pull", admin_headers)
    assert (pulled.status_code, pulled.json_body) == (202, {"queued": 1})
    assert pump_feed_pulls(client) == 1
    drafts = send(client, "GET", "/api/admin/content?status=draft", admin_headers).json_body["items"]
    assert [d["title"] for d in drafts] == ["News one"]
    listed = send(client, "GET", "/api/admin/feed-sources", admin_headers).json_body["sources"]
    assert listed[0]["items_created"] == 1
    source_id = added.json_body["id"]
    assert send(client, "DELETE", f"/api/admin/feed-sources/{source_id}", admin_headers).status_code == 204
    assert send(client, "DELETE", f"/api/admin/feed-sources/{source_id}", admin_headers).status_code == 404


def test_the_hourly_schedule_pulls_feeds(client: Any, admin_headers: dict, monkeypatch: Any) -> None:
    from functions.content import feed_pulls

    rss = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        b"<item><title>Scheduled</title><link>https://news.example.com/s</link></item></channel></rss>"
    )
    monkeypatch.setattr(feed_pulls, "safe_fetcher", lambda: lambda url: rss)
    send(client, "POST", "/api/admin/feed-sources", admin_headers, {"url": "https://news.example.com/rss"})
    result = client.lambda_.invoke(
        "pull_feeds",
        client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]),
    ).payload
    assert result == {"queued": 1}
    assert pump_feed_pulls(client) == 1
    drafts = send(client, "GET", "/api/admin/content?status=draft", admin_headers).json_body["items"]
    assert [d["title"] for d in drafts] == ["Scheduled"]
