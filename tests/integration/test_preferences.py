"""The digest's preferences page: the employee's own signed link, no login."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from functions.digest.preferences import preferences_url
from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore
from functions.directory.tokens import employee_token

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def ola(aws: None) -> Employee:
    person = Employee(id=employee_id_for("ola@example.com"), email="ola@example.com", name="Ola <i>W</i>",
                      team="Sales", locale="pl", timezone="Europe/Warsaw", topics=("product",))
    EmployeeStore().put(person)
    return person


def test_the_page_shows_the_employees_own_settings_escaped(client: Any, ola: Employee) -> None:
    url = urlsplit(preferences_url(ola.id))
    response = client.http.get(f"{url.path}?{url.query}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = BeautifulSoup(response.body, "html.parser")
    assert "Ola <i>W</i>" in page.get_text() and page.find("i") is None
    assert page.find("input", {"name": "cadence", "value": "weekly"}).has_attr("checked")
    assert page.find("select", {"name": "weekday"}).find("option", selected=True)["value"] == "monday"
    assert page.find("select", {"name": "language"}).find("option", selected=True)["value"] == "pl"
    assert page.find("input", {"name": "topics"})["value"] == "product"


def test_saving_changes_cadence_language_and_topics(client: Any, ola: Employee) -> None:
    body = urlencode({"token": employee_token(ola.id), "cadence": "weekly", "weekday": "friday",
                      "language": "ru", "topics": "Careers, product"})
    response = client.http.post("/preferences", headers=FORM, body=body)
    assert response.status_code == 200 and "Saved." in response.body.decode()
    saved = EmployeeStore().get(ola.id)
    assert saved is not None
    assert (saved.digest_cadence, saved.locale, saved.topics) == ("weekly:friday", "ru", ("careers", "product"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"language": "de"}, "language"), ({"cadence": "weekly", "weekday": "someday"}, "weekday"),
     ({"cadence": "hourly"}, "cadence")],
)
def test_invalid_values_come_back_with_the_field_named_and_nothing_saved(
    client: Any, ola: Employee, changes: dict[str, str], field: str
) -> None:
    form = {"token": employee_token(ola.id), "cadence": "daily", "weekday": "monday", "language": "pl",
            "topics": "", **changes}
    response = client.http.post("/preferences", headers=FORM, body=urlencode(form))
    assert response.status_code == 400
    page = BeautifulSoup(response.body, "html.parser")
    assert page.find(id=f"{field}-error") is not None
    assert EmployeeStore().get(ola.id) == ola  # not half-written


def test_the_unsubscribe_button_and_a_forged_token(client: Any, ola: Employee) -> None:
    body = urlencode({"token": employee_token(ola.id), "cadence": "weekly", "weekday": "monday",
                      "language": "pl", "topics": ""}) + "&cadence=off"  # the button's value comes last
    assert "no more digests" in client.http.post("/preferences", headers=FORM, body=body).body.decode()
    assert EmployeeStore().get(ola.id).digest_cadence == "off"  # type: ignore[union-attr]

    forged = employee_token(ola.id)[:-2] + "xx"
    assert client.http.get(f"/preferences?token={forged}").status_code == 403
    response = client.http.post("/preferences", headers=FORM, body=urlencode({"token": forged, "cadence": "daily"}))
    assert response.status_code == 403
