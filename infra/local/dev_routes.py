"""Routes only `make run` has: the outbox of sent mail and "send the digests now". Never deployed.

The runner registers this blueprint on the app it serves locally; app.py does not know it exists, so
no deployment can answer /dev/….
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response

from functions.api import http
from functions.api.operations import Operations

bp = Blueprint(__name__)
api = Operations(bp)
# Set by the runner: sends the digests (due ones, or everyone's) and returns what happened.
send_digests_now: Callable[[bool], dict[str, Any]] | None = None
# Set by the runner: rebuilds the static site now (as the 10-minute schedule would) and reports.
build_site_now: Callable[[], dict[str, Any]] | None = None
outbox: Any = None

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;padding:0 1rem;color:#1f2430}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;"
    "border-bottom:1px solid #e3e6eb;vertical-align:top}iframe{width:100%;height:80vh;border:1px solid #ccd}"
    "pre{white-space:pre-wrap;background:#f6f7f9;padding:1rem}"
)


def _page(title: str, body: str) -> Response:
    document = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return Response(
        body=document,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            # The letter's own HTML runs in a sandboxed frame: no scripts, no same-origin access.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
            "frame-src 'self'; child-src 'self'",
        },
    )


@bp.route("/dev/outbox", methods=["GET"])
@api.local_only("The mail sent locally, newest first")
def outbox_list() -> Response:
    rows = []
    for name in outbox.names():
        letter = outbox.read(name)
        if letter is None:
            continue
        rows.append(
            f"<tr><td>{html.escape(letter.date)}</td><td>{html.escape(letter.to)}</td>"
            f'<td><a href="/dev/outbox/{html.escape(name)}">{html.escape(letter.subject)}</a></td></tr>'
        )
    table = (
        "<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        if rows
        else "<p>No mail sent yet. <code>make digest ALL=1</code> sends everyone's digest now.</p>"
    )
    return _page("Outbox", f"<h1>Outbox</h1><p>{len(rows)} messages, newest first.</p>{table}")


@bp.route("/dev/outbox/{name}", methods=["GET"])
@api.local_only("One letter of the outbox, as HTML or text")
def outbox_letter(name: str) -> Response:
    if name.endswith(".html"):
        letter = outbox.read(name.removesuffix(".html"))
        if letter is None or letter.html is None:
            return _page("Not found", "<h1>No such message</h1>")
        return Response(
            body=letter.html,
            status_code=200,
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:",
            },
        )
    letter = outbox.read(name)
    if letter is None:
        return _page("Not found", '<h1>No such message</h1><p><a href="/dev/outbox">Back to the outbox</a></p>')
    headers = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>" for key, value in letter.headers
    )
    frame = (
        f'<iframe sandbox="allow-popups" title="The email as the recipient sees it" '
        f'src="/dev/outbox/{html.escape(name)}.html"></iframe>'
        if letter.html is not None
        else ""
    )
    body = (
        f'<p><a href="/dev/outbox">Outbox</a></p><h1>{html.escape(letter.subject)}</h1>{frame}'
        f"<h2>Plain text part</h2><pre>{html.escape(letter.text or '')}</pre>"
        f"<h2>Headers</h2><table>{headers}</table>"
    )
    return _page(letter.subject, body)


@bp.route("/dev/digests", methods=["POST"])
@api.local_only("Send the digests now")
def send_now() -> Response:
    """Send the digests due now, or (``?all=1``) everyone's for their current period, and report."""
    everyone = http.query_param(bp.current_request, "all") in ("1", "true", "yes")
    assert send_digests_now is not None
    return Response(body=send_digests_now(everyone), status_code=200, headers={"Content-Type": "application/json"})


@bp.route("/dev/site", methods=["POST"])
@api.local_only("Rebuild the site now")
def build_now() -> Response:
    """Rebuild the site now (leaderboards and all), without waiting for the schedule."""
    assert build_site_now is not None
    return Response(body=build_site_now(), status_code=200, headers={"Content-Type": "application/json"})
