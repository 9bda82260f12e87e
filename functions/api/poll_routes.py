"""The digest poll's answer links: a GET asks, only the page's POST records (mail scanners open links).

``GET /poll/{poll_id}?employee=…&score=…&exp=…&sig=…[&v=…]`` (functions.polls.links signs it) shows the
question in the employee's language with the value they clicked chosen, their earlier answer if any, and
one button. The form has no ``action``, so the browser posts to the page's own address, signed query
included, with ``score=<n>``: that POST records the answer (a second one changes it) and shows the
thank-you page. A POST without ``score`` records the link's own value.

A link forged, tampered with, expired or revoked answers 403, one whose employee left 404 (each a page
saying so, functions.api.link_pages), a score not on the scale 400 (the page again, saying so), a form
larger than any this page sends 413. Nothing about the request is stored: no address, no browser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from functions.api.link_pages import page, problem
from functions.api.operations import Operations

if TYPE_CHECKING:
    from functions.directory.model import Employee
    from functions.polls.links import PollLink

bp = Blueprint(__name__)
api = Operations(bp)


@bp.route("/poll/{poll_id}", methods=["GET"])
@api.public(
    "The digest poll's answer link: a page asking to confirm the answer, the clicked value chosen "
    "(a GET records nothing: mail scanners open links)",
    tag="digests",
    path="PollPath",
    query="PollQuery",
    errors=(403, 404),
    produces="text/html",
    page=True,
)
def poll_page(poll_id: str) -> Response:
    from functions.polls.answers import current_score

    opened, refused = _open(poll_id)
    if refused is not None:
        return refused
    employee, link = opened
    return _ask(200, employee, link, chosen=link.score, current=current_score(link))


@bp.route("/poll/{poll_id}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@api.public(
    "Record the poll answer the page's form sends (application/x-www-form-urlencoded: score; the signed "
    "query of the answer link): one answer per employee and poll, a later one replaces it",
    tag="digests",
    path="PollPath",
    query="PollQuery",
    accepts="application/x-www-form-urlencoded",
    errors=(400, 403, 404, 413, 503),
    produces="text/html",
    page=True,
)
def answer_poll(poll_id: str) -> Response:
    from functions.api.link_pages import form as read_form
    from functions.api.link_pages import last
    from functions.i18n import format_date
    from functions.polls.answers import PollScoreError, record_answer
    from functions.polls.store import PollBusyError

    request = bp.current_request
    form = read_form(request)
    if form is None:
        return problem(request, 413, "too_large")
    opened, refused = _open(poll_id)
    if refused is not None:
        return refused
    employee, link = opened
    try:
        answer = record_answer(link, last(form, "score") if "score" in form else None, datetime.now(UTC))
    except PollScoreError:
        return _ask(400, employee, link, chosen=None, current=None, error=True)
    except PollBusyError:
        return problem(request, 503, "busy")
    return page(
        200,
        "poll.html",
        employee.locale,
        state="thanks",
        text=_wording(link, employee),
        score=answer.score,
        until=format_date(answer.changeable_until, employee.locale, employee.timezone),
    )


def _open(poll_id: str) -> tuple[Any, Response | None]:
    """(employee, link) for a genuine link of an active employee, or the page saying why it cannot be used."""
    from functions.polls.answers import open_link
    from functions.signing import SignatureError

    request = bp.current_request
    try:
        return open_link(poll_id, request.query_params or {}), None
    except SignatureError as exc:
        return None, problem(request, 404 if exc.reason == "gone" else 403, exc.reason)


def _ask(
    status: int, employee: Employee, link: PollLink, *, chosen: int | None, current: int | None, error: bool = False
) -> Response:
    return page(
        status,
        "poll.html",
        employee.locale,
        state="ask",
        text=_wording(link, employee),
        scale=list(link.poll.scale),
        chosen=chosen,
        current=current,
        error=error,
    )


def _wording(link: PollLink, employee: Employee) -> Any:
    from functions.polls.model import wording

    return wording(link.poll.kind, employee.locale)
