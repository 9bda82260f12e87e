"""The digest's unsubscribe link: RFC 8058 one-click (POST), and a page that asks first (GET).

A GET never unsubscribes: mail scanners open every link in a message. The POST needs no page, cookie
or login — only the signed token the List-Unsubscribe header carries.
"""

from __future__ import annotations

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
