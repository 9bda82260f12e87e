"""The digest's preferences page and RFC 8058 one-click unsubscribe: signed links, no login, over moto."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from functions import aws
from functions.config import settings
from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.digest import preferences
from functions.digest.preferences import (
    employee_from_unsubscribe_token,
    preferences_url,
    unsubscribe_mailto,
    unsubscribe_token,
    unsubscribe_url,
)
from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore
from functions.directory.tokens import employee_token, preferences_token

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"
MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}
MULTIPART_BODY = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n'
PAST = int(time.time()) - 60


@pytest.fixture(autouse=True)
def fresh_topics() -> Iterator[None]:
    preferences.forget_known_topics()  # a warm Lambda keeps them; each test has its own account
    yield
    preferences.forget_known_topics()


def person(email: str, name: str, locale: str, **fields: Any) -> Employee:
    employee = Employee(
        id=employee_id_for(email),
        email=email,
        name=name,
        team="Sales",
        locale=locale,
        timezone="Europe/Warsaw",
        **fields,
    )
    EmployeeStore().put(employee)
    return employee


@pytest.fixture
def ola(aws: None) -> Employee:
    return person("ola@example.com", "Ola <i>W</i>", "pl", topics=("product",))


@pytest.fixture
def ivan(aws: None) -> Employee:
    return person("ivan@example.com", "Иван", "ru")


@pytest.fixture
def library(aws: None) -> None:
    """Published items whose topics the page offers: careers twice, product and events once."""
    for n, topics in enumerate([("careers", "events"), ("careers",), ("product",)]):
        ContentStore().add(
            new_content(
                content_id=f"item-{n}",
                url=f"https://example.com/{n}",
                title=f"Item {n}",
                language="pl",
                status="published",
                topics=topics,
                publish_start=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def page(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.body, "html.parser")


def stored(employee: Employee) -> dict[str, Any]:
    """The raw DynamoDB item, to see what was written (the digest planner reads digest_slot)."""
    item = aws.dynamodb().get_item(TableName=settings().employees_table, Key={"id": {"S": employee.id}})["Item"]
    return {name: next(iter(value.values())) for name, value in item.items()}


def save(client: Any, employee: Employee, **fields: Any) -> Any:
    form = {
        "token": preferences_token(employee.id),
        "cadence": "daily",
        "weekday": "monday",
        "language": "pl",
        "other_topics": "",
        **fields,
    }
    return client.http.post("/preferences", headers=FORM, body=urlencode(form, doseq=True))


# --- the links the digest carries --------------------------------------------------------------------


def test_the_digest_links_carry_signed_tokens_for_their_purpose(aws: None) -> None:
    base = settings().api_base_url
    assert preferences_url("emp1").startswith(f"{base}/preferences?token=emp1.")
    logged = unquote(parse_qs(urlsplit(preferences_url("emp1")).query)["token"][0])  # a query string gets logged:
    assert 6 * 86400 < int(logged.split(".")[1]) - time.time() <= 7 * 86400  # a week, not the employee token's 90 days
    token = unquote(parse_qs(urlsplit(unsubscribe_url("emp1")).query)["token"][0])
    assert unsubscribe_url("emp1").startswith(f"{base}/unsubscribe?token=")
    assert employee_from_unsubscribe_token(token) == "emp1"
    expires = int(token.split(".")[1])
    assert expires - time.time() > 360 * 86400  # an old email's unsubscribe link keeps working for a year

    domain = settings().mail_from.rpartition("@")[2].rstrip(">")
    mailto = unsubscribe_mailto("emp1")
    assert mailto.startswith(f"mailto:unsubscribe@{domain}?subject=unsubscribe%20emp1.")
    assert employee_from_unsubscribe_token(unquote(mailto.split("%20", 1)[1])) == "emp1"


# --- the preferences page ----------------------------------------------------------------------------


def test_the_page_shows_the_employees_settings_in_polish_with_the_librarys_topics(
    client: Any, ola: Employee, library: None
) -> None:
    response = client.http.get(path(preferences_url(ola.id)))
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = page(response)
    assert html.html["lang"] == "pl" and html.h1.get_text() == "Twoje wiadomości z Chorus"
    assert "Ola <i>W</i>" in html.get_text() and html.find("i") is None  # escaped, not markup
    assert html.find("input", {"name": "cadence", "value": "weekly"}).has_attr("checked")
    weekday = html.find("select", {"name": "weekday"}).find("option", selected=True)
    assert (weekday["value"], weekday.get_text()) == ("monday", "Poniedziałek")
    assert html.find("select", {"name": "language"}).find("option", selected=True)["value"] == "pl"
    boxes = {box["value"]: box.has_attr("checked") for box in html.find_all("input", {"name": "topics"})}
    assert boxes == {"product": True, "careers": False, "events": False}  # hers first, then the library's
    # Nothing on the page loads from anywhere, so the token in its address goes nowhere.
    assert not html.find_all(["script", "img", "link", "iframe"]) and html.form["action"] == "preferences"


def test_the_page_is_in_russian_for_a_russian_speaker(client: Any, ivan: Employee) -> None:
    html = page(client.http.get(path(preferences_url(ivan.id))))
    assert html.html["lang"] == "ru" and html.h1.get_text() == "Ваша рассылка Chorus"
    assert html.find("option", {"value": "monday"}).get_text() == "Понедельник"
    assert [button.get_text() for button in html.find_all("button")] == ["Сохранить", "Отписаться"]


def test_saving_weekly_on_friday_with_topics_and_a_new_language(client: Any, ola: Employee, library: None) -> None:
    response = save(
        client,
        ola,
        cadence="weekly",
        weekday="friday",
        language="ru",
        topics=["careers", "product"],
        other_topics="Trade Fairs, events",
    )
    assert response.status_code == 200
    html = page(response)
    assert html.find(attrs={"role": "status"}).get_text() == "Сохранено."  # confirmed in the new language
    item = stored(ola)
    assert (item["digest_cadence"], item["locale"]) == ("weekly:friday", "ru")
    assert [topic["S"] for topic in item["topics"]] == ["careers", "product", "trade fairs", "events"]
    assert item["digest_slot"] == "Europe/Warsaw#friday"  # the planner finds her on Fridays now
    assert html.find("input", {"name": "topics", "value": "trade fairs"}).has_attr("checked")


def test_saving_an_unchanged_form_writes_nothing(client: Any, ola: Employee) -> None:
    before = stored(ola)["updated_at"]
    assert save(client, ola, cadence="weekly", topics="product").status_code == 200
    assert stored(ola)["updated_at"] == before


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"language": "de"}, "language"),
        ({"cadence": "weekly", "weekday": "someday"}, "weekday"),
        ({"cadence": "hourly"}, "cadence"),
        ({"other_topics": ", ".join(f"topic {n}" for n in range(21))}, "topics"),
        ({"other_topics": "x" * 41}, "topics"),
    ],
)
def test_invalid_values_come_back_with_the_field_marked_and_nothing_saved(
    client: Any, ola: Employee, fields: dict[str, str], error: str
) -> None:
    response = save(client, ola, **fields)
    assert response.status_code == 400
    html = page(response)
    assert html.html["lang"] == "pl" and html.find(attrs={"role": "alert"}) is not None
    assert html.find(id=f"{error}-error") is not None
    assert [p["id"] for p in html.find_all("p", class_="error") if p.get("id")] == [f"{error}-error"]
    assert EmployeeStore().get(ola.id) == ola  # not half-written
    if "other_topics" in fields:  # what they typed is kept for them to fix
        assert html.find("input", {"name": "other_topics"})["value"] == fields["other_topics"]


def test_the_unsubscribe_button_works_even_beside_a_broken_field(client: Any, ola: Employee) -> None:
    response = save(client, ola, language="de", action="unsubscribe")
    assert response.status_code == 200
    assert "Wiadomości z Chorus nie będą już przychodzić" in page(response).find(attrs={"role": "status"}).get_text()
    item = stored(ola)
    assert item["digest_cadence"] == "off" and "digest_slot" not in item
    assert (item["locale"], [t["S"] for t in item["topics"]]) == ("pl", ["product"])  # history and choices kept


def test_a_bounce_recorded_meanwhile_is_not_overwritten_by_a_save(client: Any, ola: Employee) -> None:
    EmployeeStore().suppress_mail(ola.id, "bounce", "2026-11-22T10:00:00+00:00")
    assert save(client, ola, cadence="daily").status_code == 200
    item = stored(ola)
    assert item["mail_suppressed"]["reason"]["S"] == "bounce"
    assert item["digest_cadence"] == "daily" and "digest_slot" not in item  # still no mail to that address


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (lambda e: preferences_token(e.id)[:-2] + "xx", "uszkodzony"),
        (lambda e: preferences_token(e.id, expires_at=PAST), "wygasł"),
        (lambda e: "", "niekompletny"),
        (lambda e: unsubscribe_token(e.id), "uszkodzony"),  # another purpose's token opens nothing here
        (lambda e: employee_token(e.id), "uszkodzony"),  # nor does the 90-day employee token
    ],
)
def test_a_bad_link_gets_a_gentle_page_in_the_readers_language(
    client: Any, ola: Employee, token: Any, words: str
) -> None:
    polish = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"}
    response = client.http.get(f"/preferences?token={quote(token(ola))}", headers=polish)
    assert response.status_code == 403 and response.headers["Content-Type"].startswith("text/html")
    html = page(response)
    assert html.html["lang"] == "pl" and words in html.get_text() and html.find("form") is None
    posted = client.http.post("/preferences", headers={**FORM, **polish}, body=urlencode({"token": token(ola)}))
    assert posted.status_code == 403 and words in posted.body.decode()
    assert EmployeeStore().get(ola.id) == ola


def test_an_offboarded_employee_and_an_oversized_form(client: Any, ola: Employee) -> None:
    EmployeeStore().deactivate(ola.id, keep_on_leaderboard=False, at="2026-11-22T10:00:00+00:00")
    response = client.http.get(path(preferences_url(ola.id)), headers={"Accept-Language": "ru"})
    assert response.status_code == 404 and "больше не участвует" in response.body.decode()
    assert client.http.post("/preferences", headers=FORM, body="token=" + "x" * 20_000).status_code == 413


# --- unsubscribing -----------------------------------------------------------------------------------


def test_one_click_unsubscribes_with_either_form_encoding_and_says_so_again(client: Any, ola: Employee) -> None:
    target = path(unsubscribe_url(ola.id))
    first = client.http.post(target, headers=FORM, body=ONE_CLICK)  # no cookie, no page: the token decides
    assert (first.status_code, first.body) == (200, b"unsubscribed\n")
    assert first.headers["Content-Type"].startswith("text/plain") and "no-store" in first.headers["Cache-Control"]
    item = stored(ola)
    assert item["digest_cadence"] == "off" and "digest_slot" not in item

    again = client.http.post(target, headers=MULTIPART, body=MULTIPART_BODY)
    assert (again.status_code, again.body) == (200, b"unsubscribed\n")
    assert stored(ola)["updated_at"] == item["updated_at"]  # idempotent: nothing written the second time
    assert stored(ola)["email"] == "ola@example.com"  # the employee and their history stay


def test_one_click_with_a_multipart_body(client: Any, ivan: Employee) -> None:
    response = client.http.post(path(unsubscribe_url(ivan.id)), headers=MULTIPART, body=MULTIPART_BODY)
    assert response.status_code == 200 and stored(ivan)["digest_cadence"] == "off"


@pytest.mark.parametrize(
    "token",
    [
        lambda e: unsubscribe_token(e.id)[:-2] + "xx",
        lambda e: unsubscribe_token(e.id, expires_at=PAST),
        lambda e: employee_token(e.id),  # the employee token is not an unsubscribe token
        lambda e: "",
    ],
)
def test_one_click_with_a_bad_token_is_refused_naming_the_token(client: Any, ola: Employee, token: Any) -> None:
    response = client.http.post(f"/unsubscribe?token={quote(token(ola))}", headers=FORM, body=ONE_CLICK)
    assert response.status_code == 403
    assert "token" in json.loads(response.body)["fields"]
    assert stored(ola)["digest_cadence"] == "weekly:monday"


def test_opening_the_unsubscribe_link_only_asks_and_its_button_confirms_in_russian(client: Any, ivan: Employee) -> None:
    response = client.http.get(path(unsubscribe_url(ivan.id)))  # what a mail scanner's prefetch does
    assert response.status_code == 200 and response.headers["Referrer-Policy"] == "no-referrer"
    html = page(response)
    assert html.html["lang"] == "ru" and html.h1.get_text() == "Отписаться от рассылки Chorus?"
    assert stored(ivan)["digest_cadence"] == "weekly:monday"

    form = html.form
    assert form["method"] == "post"
    fields = {field["name"]: field["value"] for field in form.find_all("input")}
    confirmed = client.http.post(f"/{form['action']}", headers={**FORM, "Accept": "text/html"}, body=urlencode(fields))
    assert confirmed.status_code == 200 and page(confirmed).h1.get_text() == "Вы отписались"
    assert stored(ivan)["digest_cadence"] == "off"


def test_the_unsubscribe_page_with_a_bad_token_is_gentle(client: Any, ola: Employee) -> None:
    expired = unsubscribe_token(ola.id, expires_at=PAST)
    response = client.http.get(f"/unsubscribe?token={expired}", headers={"Accept-Language": "lt,en;q=0.5"})
    assert response.status_code == 403
    html = page(response)
    assert html.html["lang"] == "lt" and "galiojimas baigėsi" in html.get_text() and html.find("form") is None


def test_the_topics_offered_are_the_librarys_most_used_first_and_never_break_the_page(library: None) -> None:
    from botocore.exceptions import ClientError

    assert preferences.known_topics() == ("careers", "events", "product")

    class Unreadable(ContentStore):
        def feed_page(self, *args: Any, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Query")

    assert preferences.known_topics(store=Unreadable()) == ()  # typed topics still work
