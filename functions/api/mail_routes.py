"""The digest's unsubscribe link: RFC 8058 one-click (POST), and a page that asks first (GET).

A GET never unsubscribes: mail scanners open every link in a message. The POST needs no page, cookie
or login — only the signed token the List-Unsubscribe header carries.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from functions.api import http

bp = Blueprint(__name__)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/json"]
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the token must not travel to anyone else
}


@bp.route("/unsubscribe", methods=["POST"], content_types=FORM_TYPES)
def unsubscribe_one_click() -> Response:
    from functions.digest.preferences import employee_from_unsubscribe_token, unsubscribe
    from functions.signing import SignatureError

    token = (bp.current_request.query_params or {}).get("token")
    try:
        employee_id = employee_from_unsubscribe_token(token)
    except SignatureError as exc:
        return http.error(403, "the unsubscribe link is not valid", {"token": str(exc)})
    if not unsubscribe(employee_id):
        return http.error(404, "no such employee", {"token": "names nobody in the directory"})
    if "text/html" in (bp.current_request.headers.get("accept") or ""):  # the confirmation page's own button
        return _page(200, "You are unsubscribed", "You will get no more digest emails. Thank you for sharing.")
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": http.NO_STORE}
    return Response(body="unsubscribed\n", status_code=200, headers=headers)


@bp.route("/unsubscribe", methods=["GET"])
def unsubscribe_page() -> Response:
    from functions.digest.preferences import employee_from_unsubscribe_token
    from functions.signing import SignatureError

    token = (bp.current_request.query_params or {}).get("token") or ""
    try:
        employee_from_unsubscribe_token(token)
    except SignatureError as exc:
        return _page(403, "This link does not work", str(exc))
    return _page(200, "Unsubscribe from Chorus digests?", "You can come back any time.", token=token)


def _page(status: int, title: str, message: str, token: str | None = None) -> Response:
    from functions.pages import render

    page = render("unsubscribe.html", title=title, message=message, unsubscribe_token=token)
    response = http.html(status, page)
    response.headers.update(_PAGE_HEADERS)
    return response


@bp.route("/preferences", methods=["GET"])
def preferences_page() -> Response:
    from functions.directory.store import EmployeeStore
    from functions.directory.tokens import employee_from_token
    from functions.signing import SignatureError

    token = (bp.current_request.query_params or {}).get("token") or ""
    try:
        employee = EmployeeStore().get(employee_from_token(token))
    except SignatureError as exc:
        return _page(403, "This link does not work", str(exc))
    if employee is None or not employee.active:
        return _page(404, "This link does not work", "It belongs to someone who is no longer in the programme.")
    return _preferences(200, employee, token)


@bp.route("/preferences", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def save_preferences() -> Response:
    from urllib.parse import parse_qsl

    from functions.digest.preferences import update_preferences
    from functions.directory.tokens import employee_from_token
    from functions.signing import SignatureError

    raw = bp.current_request.raw_body or b""
    if len(raw) > 10_000:
        return _page(413, "Too much", "The form sent more than it could hold.")
    form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        employee_id = employee_from_token(form.get("token"))
    except SignatureError as exc:
        return _page(403, "This link does not work", str(exc))
    employee, errors = update_preferences(employee_id, form)
    if employee is None:
        return _page(404, "This link does not work", "It belongs to someone who is no longer in the programme.")
    if errors:
        return _preferences(400, employee, form.get("token", ""), errors=errors, form=form)
    saved = "Saved. You will get no more digests." if employee.digest_cadence == "off" else "Saved."
    return _preferences(200, employee, form.get("token", ""), saved=saved)


def _preferences(
    status: int, employee: Any, token: str, *, saved: str = "", errors: dict | None = None, form: dict | None = None
) -> Response:
    from functions.directory.model import WEEKDAYS
    from functions.pages import render

    cadence, _, weekday = employee.digest_cadence.partition(":")
    values = {
        "cadence": cadence,
        "weekday": weekday or "monday",
        "language": employee.locale,
        "topics": ", ".join(employee.topics),
        **{k: v for k, v in (form or {}).items() if k in ("cadence", "weekday", "language", "topics")},
    }
    page = render(
        "preferences.html", employee=employee, token=token, weekdays=WEEKDAYS, saved=saved, errors=errors or {},
        **values,
    )
    response = http.html(status, page)
    response.headers.update(_PAGE_HEADERS)
    return response
