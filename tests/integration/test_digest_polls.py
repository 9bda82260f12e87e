"""The polls in the digest: the first digest of each poll's period carries it, in HTML and text, in every language."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.digest.compose import Composer
from functions.digest.deliver import Outcome, send_batch
from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore
from functions.i18n import translations
from functions.polls.store import PollStore

pytestmark = pytest.mark.usefixtures("aws")

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Warsaw
ENPS_QUESTION = "How likely are you to recommend working here?"
SATISFACTION_QUESTION = "How useful is this programme to you?"


@pytest.fixture
def library(aws: None) -> None:
    contents = ContentStore()
    for n in range(40):
        contents.add(
            new_content(
                content_id=f"item-{n}",
                url=f"https://example.com/{n}",
                title=f"Item {n}",
                language="en",
                status="published",
                kind="third_party" if n % 5 else "company",
                publish_start=datetime(2026, 10, 1, tzinfo=UTC),
            )
        )


def person(locale: str) -> Employee:
    employee = Employee(
        id=employee_id_for(f"{locale}@example.com"),
        email=f"{locale}@example.com",
        name=f"Reader {locale}",
        team="Sales",
        locale=locale,
        timezone="Europe/Warsaw",
        digest_cadence="daily",
    )
    EmployeeStore().put(employee)
    return employee


def send(employee: Employee, now: datetime) -> EmailMessage:
    """One digest for ``employee`` composed at ``now``, sent through SES (moto); the message as received."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    period = now.date().isoformat()
    body = json.dumps({"employees": [{"employee_id": employee.id, "period": period}]})
    result = send_batch(body, Composer(now=now))
    assert [d.outcome for d in result.deliveries] == [Outcome.SENT], result
    raw = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages[-1].raw_data
    return BytesParser(policy=policy.default).parsebytes(raw.encode() if isinstance(raw, str) else raw)  # type: ignore[return-value]


def parts(message: EmailMessage) -> tuple[BeautifulSoup, str]:
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return BeautifulSoup(html, "html.parser"), message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def poll_links(html: BeautifulSoup) -> dict[str, list[tuple[str, str]]]:
    """Each poll's (link text, href) in the HTML part, by poll id."""
    found: dict[str, list[tuple[str, str]]] = {}
    for link in html.find_all("a", href=True):
        path = urlsplit(link["href"]).path
        if path.startswith("/poll/"):
            found.setdefault(path.removeprefix("/poll/"), []).append((link.get_text(strip=True), link["href"]))
    return found


@pytest.mark.usefixtures("library")
@pytest.mark.parametrize("locale", ["en", "pl", "lt", "ru"])
def test_the_period_s_first_digest_asks_both_questions_in_html_and_text(client: Any, locale: str) -> None:
    employee = person(locale)
    html, text = parts(send(employee, MONDAY))
    links = poll_links(html)
    assert sorted(links) == ["enps-2026Q4", "satisfaction-2026-11"]
    assert [label for label, _ in links["enps-2026Q4"]] == [str(n) for n in range(11)]
    assert [label for label, _ in links["satisfaction-2026-11"]] == ["1", "2", "3", "4", "5"]
    hrefs = [href for poll in links.values() for _, href in poll]
    assert all(href.startswith("https://chorus.example.org/poll/") for href in hrefs)
    assert all(href in text for href in hrefs)  # the plain-text part carries every link too
    catalog = translations(locale)
    for question in (ENPS_QUESTION, SATISFACTION_QUESTION):
        asked = catalog.gettext(question)
        assert asked in html.get_text() and asked in " ".join(text.split())
        assert (asked == question) == (locale == "en")  # translated in every other language

    # Each link opens its page (nothing recorded), in the employee's language, the clicked value chosen.
    label, href = links["enps-2026Q4"][7]
    target = urlsplit(href)
    page = BeautifulSoup(client.http.get(f"{target.path}?{target.query}").body.decode(), "html.parser")
    assert page.html["lang"] == locale
    assert page.legend.get_text(strip=True) == catalog.gettext(ENPS_QUESTION)
    assert [i["value"] for i in page.find_all("input", checked=True)] == [label] == ["7"]
    totals = PollStore().totals(["enps-2026Q4", "satisfaction-2026-11"])
    assert [(t.sent, t.responses) for t in totals.values()] == [(1, 0), (1, 0)]  # asked, not answered


@pytest.mark.usefixtures("library")
def test_later_digests_of_the_period_do_not_ask_again_and_the_next_period_s_first_does() -> None:
    employee = person("pl")
    days = {
        "2026-11-23": ["enps-2026Q4", "satisfaction-2026-11"],
        "2026-11-24": [],  # answered or not, once a period
        "2026-12-01": ["satisfaction-2026-12"],  # a new month; still the same quarter
        "2027-01-04": ["enps-2027Q1", "satisfaction-2027-01"],
    }
    for day, expected in days.items():
        html, text = parts(send(employee, datetime.fromisoformat(f"{day}T07:00:00+00:00")))
        assert sorted(poll_links(html)) == expected, day
        assert ("/poll/" in text) == bool(expected), day
    totals = PollStore().totals(["enps-2026Q4", "satisfaction-2026-11", "satisfaction-2026-12", "enps-2027Q1"])
    assert {poll_id: t.sent for poll_id, t in totals.items()} == dict.fromkeys(totals, 1)


@pytest.mark.usefixtures("library")
def test_settings_switch_a_poll_off_or_ask_it_monthly(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.config import settings

    monkeypatch.setenv("ENPS_POLL", "monthly")
    monkeypatch.setenv("SATISFACTION_POLL", "off")
    settings.cache_clear()
    html, _ = parts(send(person("en"), MONDAY))
    assert sorted(poll_links(html)) == ["enps-2026-11"]

    monkeypatch.setenv("ENPS_POLL", "off")
    settings.cache_clear()
    html, text = parts(send(person("ru"), MONDAY))
    assert poll_links(html) == {} and "/poll/" not in text


@pytest.mark.usefixtures("library")
def test_a_digest_whose_offer_could_not_be_noted_is_still_sent_and_the_next_one_asks_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.polls import answers

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the polls table is unavailable")

    employee = person("lt")
    monkeypatch.setattr(answers, "note_offered", broken)
    assert sorted(poll_links(parts(send(employee, MONDAY))[0])) == ["enps-2026Q4", "satisfaction-2026-11"]
    monkeypatch.undo()
    later = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert sorted(poll_links(parts(send(employee, later))[0])) == ["enps-2026Q4", "satisfaction-2026-11"]
    assert sorted(poll_links(parts(send(employee, later.replace(day=25)))[0])) == []
