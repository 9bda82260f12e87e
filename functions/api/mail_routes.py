"""The digest's own links: RFC 8058 one-click unsubscribe, the page that asks first, the preferences page.

A GET never unsubscribes: mail scanners open every link in a message. The one-click POST needs no page,
cookie or login — only the signed token the List-Unsubscribe header carries. The pages
(functions.api.link_pages) speak the employee's language, load nothing from anyone else, and keep the token
to themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.link_pages import last, page
from functions.api.operations import Operations
from functions.i18n import LANGUAGE_NAMES

if TYPE_CHECKING:
    from functions.directory.model import Employee

bp = Blueprint(__name__)
api = Operations(bp)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/json"]
LANGUAGES = tuple(LANGUAGE_NAMES.items())  # each in itself


@bp.route("/unsubscribe", methods=["POST"], content_types=FORM_TYPES)
@api.public(
    "RFC 8058 one-click unsubscribe from digests (body List-Unsubscribe=One-Click; the signed token "
    "from the List-Unsubscribe header)",
    tag="digests",
    query="TokenQuery",
    errors=(403, 404),
    produces="text/plain",
    page=True,
)
def unsubscribe_one_click() -> Response:
    # The body (List-Unsubscribe=One-Click, urlencoded or multipart) is not read: the signed token alone
    # decides, so a mail provider that sends something slightly different still unsubscribes its user.
    from functions.digest.preferences import employee_from_unsubscribe_token, unsubscribe
    from functions.signing import SignatureError

    request = bp.current_request
    try:
        employee_id = employee_from_unsubscribe_token(http.query_param(request, "token"))
    except SignatureError as exc:
        return http.error(403, "the unsubscribe link is not valid", {"token": str(exc)})
    employee = unsubscribe(employee_id)
    if employee is None:
        return http.error(404, "no such employee", {"token": "names nobody in the directory"})
    if "text/html" in (request.headers.get("accept") or ""):  # the confirmation page's own button
        return page(200, "unsubscribe.html", employee.locale, state="done")
    headers: dict[str, str | list[str]] = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": http.NO_STORE}
    return Response(body="unsubscribed\n", status_code=200, headers=headers)


@bp.route("/unsubscribe", methods=["GET"])
@api.public(
    "A page asking to confirm unsubscribing (a GET never unsubscribes: mail scanners open links)",
    tag="digests",
    query="TokenQuery",
    errors=(403, 404),
    produces="text/html",
    page=True,
)
def unsubscribe_page() -> Response:
    from functions.digest.preferences import employee_from_unsubscribe_token
    from functions.signing import SignatureError

    token = http.query_param(bp.current_request, "token") or ""
    try:
        employee = _employee(employee_from_unsubscribe_token(token))
    except SignatureError as exc:
        return _problem(403, exc.reason)
    if employee is None:
        return _problem(404, "gone")
    return page(200, "unsubscribe.html", employee.locale, state="ask", token=token)


@bp.route("/preferences", methods=["GET"])
@api.public(
    "The employee's digest preferences page (cadence, weekday, language, topics, unsubscribe)",
    tag="digests",
    query="PreferencesQuery",
    errors=(403, 404),
    produces="text/html",
    page=True,
)
def preferences_page() -> Response:
    token = http.query_param(bp.current_request, "token") or ""
    employee, problem = _preferences_employee(token)
    if problem:
        return problem
    return _preferences(200, employee, token)


@bp.route("/preferences", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@api.public(
    "Save the preferences form (application/x-www-form-urlencoded: token, cadence, weekday, language, "
    "topics (repeated), other_topics; action=unsubscribe turns digests off whatever the rest holds)",
    tag="digests",
    accepts="application/x-www-form-urlencoded",
    errors=(400, 403, 404, 413),
    produces="text/html",
    page=True,
)
def save_preferences() -> Response:
    from functions.api.link_pages import form as read_form
    from functions.digest.preferences import PreferencesError, unsubscribe, update_preferences
    from functions.directory.model import EmployeeNotFoundError

    form = read_form(bp.current_request)
    if form is None:
        return _problem(413, "too_large")
    token = last(form, "token")  # the page's preferences token, in the body (never the 90-day employee token)
    employee, problem = _preferences_employee(token)
    if problem:
        return problem
    if last(form, "action") == "unsubscribe":  # the Unsubscribe button works whatever else the form holds
        unsubscribed = unsubscribe(employee.id)
        if unsubscribed is None or not unsubscribed.active:
            return _problem(404, "gone")
        return _preferences(200, unsubscribed, token, note="unsubscribed")
    cadence = last(form, "cadence")
    chosen = [*form.get("topics", []), *last(form, "other_topics").replace(";", ",").split(",")]
    try:
        saved = update_preferences(
            employee,
            f"weekly:{last(form, 'weekday')}" if cadence == "weekly" else cadence,
            [topic for topic in chosen if topic.strip()],
            last(form, "language"),
        )
    except EmployeeNotFoundError:
        return _problem(404, "gone")
    except PreferencesError as exc:
        errors = {("weekday" if name == "cadence" and cadence == "weekly" else name): True for name in exc.fields}
        return _preferences(400, employee, token, errors=errors, form=form)
    return _preferences(200, saved, token, note="saved")


def _preferences_employee(token: str) -> tuple[Any, Response | None]:
    """The active employee a preferences token names (not revoked), or the page saying why the link fails."""
    from functions.directory.tokens import PREFERENCES, current_employee
    from functions.signing import SignatureError

    try:
        return current_employee(token, PREFERENCES), None
    except SignatureError as exc:
        return None, _problem(404 if exc.reason == "gone" else 403, exc.reason)


def _preferences(
    status: int,
    employee: Employee,
    token: str,
    *,
    note: str = "",
    errors: dict[str, bool] | None = None,
    form: dict[str, list[str]] | None = None,
) -> Response:
    """The form with the employee's settings, or (after an error) with what they sent."""
    from babel.dates import get_day_names

    from functions.digest.preferences import known_topics
    from functions.directory.model import WEEKDAYS

    cadence, _, weekday = employee.digest_cadence.partition(":")
    chosen, other = list(employee.topics), ""
    values = {"cadence": cadence, "weekday": weekday or "monday", "language": employee.locale}
    if form is not None:
        values.update({name: last(form, name) for name in values if name in form})
        chosen, other = form.get("topics", []), last(form, "other_topics")
    offered = list(dict.fromkeys([*employee.topics, *known_topics()]))
    names = get_day_names("wide", locale=employee.locale)
    return page(
        status,
        "preferences.html",
        employee.locale,
        name=employee.name,
        token=token,
        note=note,
        errors=errors or {},
        weekdays=[(day, names[number][:1].upper() + names[number][1:]) for number, day in enumerate(WEEKDAYS)],
        languages=LANGUAGES,
        topics=[(topic, topic in chosen) for topic in offered],
        other_topics=other,
        **values,
    )


def _employee(employee_id: str) -> Employee | None:
    from functions.directory.store import EmployeeStore

    return EmployeeStore().get(employee_id)


def _problem(status: int, reason: str) -> Response:
    from functions.api.link_pages import problem

    return problem(bp.current_request, status, reason)
