"""Chorus on Chalice: routes and event handlers only; every rule lives in ``functions``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from chalice import Chalice, Cron, Response
from chalice.app import Request

from functions import observability
from functions.api import (
    content_routes,
    directory_routes,
    http,
    inbox_routes,
    kpi_routes,
    mail_routes,
    me_routes,
    poll_routes,
)
from functions.api.operations import Operations
from functions.links import redirect

if TYPE_CHECKING:
    from functions.api.schemas import LeaderboardQuery, ShareLinksIn

app = Chalice(app_name="chorus")
api = Operations(app)
app.api.binary_types.append("image/webp")
app.register_blueprint(content_routes.bp)
app.register_blueprint(directory_routes.bp)
app.register_blueprint(inbox_routes.bp)
app.register_blueprint(mail_routes.bp)
app.register_blueprint(me_routes.bp)
app.register_blueprint(kpi_routes.bp)
app.register_blueprint(poll_routes.bp)

# Replaced in the deployed template by the tables' real streams (infra/template.yaml).
CONTENT_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-content/stream/set-by-infra"
EMPLOYEES_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-employees/stream/set-by-infra"
STAGE = os.environ.get("CHORUS_STAGE", "dev")
DIGEST_QUEUE = f"chorus-{STAGE}-digests"  # infra/template.yaml's DigestQueue
FEED_PULL_QUEUE = f"chorus-{STAGE}-feed-pulls"  # infra/template.yaml's FeedPullQueue
CLICK_BACKLOG_QUEUE = f"chorus-{STAGE}-click-backlog"  # infra/template.yaml's ClickBacklogQueue
MAIL_FEEDBACK_TOPIC = f"chorus-{STAGE}-mail-feedback"  # SES bounces and complaints (MailFeedbackTopic)
UNSUBSCRIBE_MAIL_TOPIC = f"chorus-{STAGE}-unsubscribe-mail"  # mail to the unsubscribe address (UnsubscribeMailTopic)
NO_STORE = http.NO_STORE


def _request() -> Request:
    """The request a route is answering (Chalice sets it before it calls any route)."""
    request = app.current_request
    if request is None:
        raise RuntimeError("no request is being answered")
    return request


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    return observability.observed(getattr(context, "aws_request_id", None), lambda: get_response(event))


@app.middleware("http")
def guard(event: Any, get_response: Any) -> Response:
    return http.guard(event, get_response, app.routes)


# --- public: the short link ------------------------------------------------------------------------


@app.route("/{code}", methods=["GET", "HEAD"])
@api.public(
    {
        "GET": "Follow a short link: 302 to the destination with UTM tags; the click is counted",
        "HEAD": "Follow a short link without a body (counted as a scanner, never a person)",
    },
    tag="links",
    path="CodePath",
    status=302,
    errors=(404, 503),
    produces="text/html",
    page=True,
)
def follow_short_link(code: str) -> Response:
    request = _request()
    source_ip = (request.context.get("identity") or {}).get("sourceIp")
    reply = redirect.answer(code, request.method, request.headers, source_ip)
    return Response(body=reply.body, status_code=reply.status, headers=dict(reply.headers))


# --- employees: the signed share link -------------------------------------------------------------


@app.route("/share/{employee_id}/{content_id}/{network}", methods=["GET", "HEAD"])
@api.public(
    {
        "GET": "Share as an employee through a signed link: 302 to the network's intent; the share is recorded "
        "only for a person's browser (previews, scanners and bots are redirected, not counted)",
        "HEAD": "Share link without a body: redirected, never recorded (link checkers and scanners probe)",
    },
    tag="links",
    path="SharePath",
    query="ShareQuery",
    status=302,
    errors=(403, 404),
    produces="text/html",
    page=True,
)
def share(employee_id: str, content_id: str, network: str) -> Response:
    from functions.pages import error_page
    from functions.shares import service
    from functions.signing import SignatureError

    request = _request()
    try:
        result = service.share(
            employee_id,
            content_id,
            network,
            http.query_param(request, "exp"),
            http.query_param(request, "sig"),
            token_version=http.query_param(request, "v"),
            via=http.query_param(request, "via"),
            method=request.method,
            headers=request.headers,
            source_ip=(request.context.get("identity") or {}).get("sourceIp"),
        )
    except SignatureError as exc:
        return http.html(403, error_page(403, "This share link cannot be used", str(exc)))
    except service.UnsupportedNetworkError:
        return http.html(404, error_page(404, "Unknown network", "Chorus cannot share to this network."))
    except service.ShareTargetNotFoundError as exc:
        return http.html(404, error_page(404, "Nothing to share", str(exc)))
    return Response(body="", status_code=302, headers={"Location": result.intent_url, "Cache-Control": NO_STORE})


# --- public API -----------------------------------------------------------------------------------


@app.route("/", methods=["GET"])
@api.public("What to open (HTML)", tag="site", produces="text/html", page=True)
def home() -> Response:
    from functions.pages import render

    return http.html(200, render("home.html"))


@app.route("/admin", methods=["GET"])
@api.public("The admin form (HTML)", tag="site", produces="text/html", page=True)
def admin_page() -> Response:
    """The admin form; it holds no data itself and talks to the admin API with the admin's token."""
    from functions.content.images import upload_origin
    from functions.pages import admin_page

    response = http.html(200, admin_page())
    response.headers["Content-Security-Policy"] = (  # images are sent straight to the bucket
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        f"img-src https: data:; connect-src 'self' {upload_origin()}; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@app.route("/api/health", methods=["GET"])
@api.public("Health check", tag="meta", response="HealthOut")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/api/leaderboard", methods=["GET"])
@api.public(
    "Top employees by points for a period, overall or in one team",
    tag="leaderboards",
    query="LeaderboardQuery",
    response="LeaderboardOut",
    cache="public, max-age=5",
)
def get_leaderboard(query: LeaderboardQuery) -> dict[str, Any] | Response:
    from functions.stats.leaderboard import LeaderboardQueryError, leaderboard

    try:
        standings = leaderboard(query.period, query.team, query.limit)
    except LeaderboardQueryError as exc:
        return http.error(400, "invalid query parameter", {exc.field: str(exc)})
    return {"period": query.period, "team": query.team, "entries": [s.public() for s in standings]}


# --- admin API ---------------------------------------------------------------------------------


@app.route("/api/admin/share-links", methods=["POST"])
@api.admin_only(
    "Signed share links of an employee for an item, per network",
    tag="admin",
    body="ShareLinksIn",
    response="ShareLinksOut",
    status=201,
    errors=(404,),
)
def create_share_links(body: ShareLinksIn, actor: str) -> dict[str, Any] | Response:
    """Signed share URLs, one per network, for an employee and a content item."""
    from functions.config import NETWORKS
    from functions.directory.store import EmployeeStore
    from functions.shares.service import share_url

    person = EmployeeStore().get(body.employee_id)  # links carry their token version
    if person is None:
        return http.error(404, "no such employee", {"employee_id": "is not in the directory"})
    version = person.token_version
    links = {n: share_url(person.id, body.content_id, n, token_version=version) for n in NETWORKS}
    return {"share_links": links}


@app.route("/api/openapi.json", methods=["GET"])
@api.public("This document (OpenAPI 3.1), built from the routes' declarations", tag="meta")
def openapi() -> dict[str, Any]:
    from functions.api.openapi import document

    return document(app.routes)


@app.route("/api/docs", methods=["GET"])
@api.public("This document for people: Redoc, served from the repository", tag="meta", produces="text/html", page=True)
def api_docs() -> Response:
    from functions.api.openapi import docs_page

    return docs_page()


@app.route("/api/docs/redoc.standalone.js", methods=["GET"])
@api.public("The API page's script (Redoc 2.5.1, MIT)", tag="meta", produces="text/javascript", page=True)
def api_docs_script() -> Response:
    from functions.api.openapi import docs_script

    return docs_script()


# --- schedules ------------------------------------------------------------------------------------


@app.schedule("rate(1 hour)", name="pull_feeds")
def pull_feeds(event: Any) -> dict[str, Any]:
    """Queue one pull per feed source; the pull_feed worker pulls each on its own."""
    from functions.content.feed_pulls import enqueue_pulls

    return {"queued": enqueue_pulls()}


@app.schedule("rate(10 minutes)", name="build_site")
def build_site(event: Any) -> dict[str, Any]:
    """Rebuild the static site: only pages whose data changed are rendered, only changed bytes uploaded."""
    from functions.sitegen.build import SiteBusyError

    try:
        return _rebuild_site("schedule")
    except SiteBusyError:  # a content-change rebuild is running: it reads the same data
        observability.logger().info("site_build_skipped", extra={"reason": "busy"})
        return {"skipped": "another build is running"}


def _rebuild_site(reason: str) -> dict[str, Any]:
    from dataclasses import asdict

    from functions.sitegen.build import rebuild

    report = asdict(rebuild())
    report["seconds"] = round(report["seconds"], 3)
    observability.count("SitePagesWritten", report["written"])
    observability.logger().info("site_rebuilt", extra={"reason": reason, **report})
    return report


@app.schedule(Cron("1/5", "*", "*", "*", "?", "*"), name="count_events")
def count_events(event: Any) -> dict[str, Any]:
    """Count the event log's closed slices into employees' figures and the leaderboards (one run at a time).

    At minute 1, 6, 11…: a 5-minute slice closes a minute after it ends (its grace), so each run finds one
    just closed and a click reaches the leaderboards within about 7 minutes (a rate schedule's arbitrary
    phase could add up to 5 more).
    """
    from functions.stats.counting import budget_for, run_once

    report = run_once(budget_seconds=budget_for(event.context))
    observability.count("EventsCounted", report.events)
    observability.logger().info("events_counted", extra=report.summary())
    return report.summary()


@app.schedule(Cron(0, "*", "*", "*", "?", "*"), name="plan_digests")
def plan_digests(event: Any) -> dict[str, Any]:
    """Queue every employee whose digest is due this hour in their own time zone; workers render and send.

    Planned for the event's scheduled time, not the clock: a late run still plans its own hour.
    """
    from datetime import UTC, datetime

    from functions.clock import parse_utc
    from functions.config import settings
    from functions.digest.plan import enqueue_due

    scheduled = getattr(event, "time", None)
    moment = parse_utc(scheduled) if scheduled else datetime.now(UTC)
    report = enqueue_due(moment, hour=settings().digest_hour)
    observability.count("DigestsQueued", report.employees)
    return {"employees": report.employees, "messages": report.messages, "seconds": round(report.seconds, 3)}


# --- events ---------------------------------------------------------------------------------------


@app.on_sqs_message(queue=DIGEST_QUEUE, batch_size=2, name="send_digests")
def send_digests(event: Any) -> dict[str, list[dict[str, str]]]:
    """Send the queued digests, exactly once each; the messages to retry are reported, not the batch."""
    from functions.config import settings
    from functions.digest.compose import Composer
    from functions.digest.deliver import deadline_from_context, handle_sqs_records

    deadline = deadline_from_context(event.context)
    return handle_sqs_records(event, Composer(), deadline=deadline, configuration_set=settings().mail_configuration_set)


@app.on_sqs_message(queue=FEED_PULL_QUEUE, batch_size=1, maximum_concurrency=5, name="pull_feed")
def pull_feed(event: Any) -> dict[str, list[dict[str, str]]]:
    """Pull one queued feed source (one per invocation: a slow feed never delays another)."""
    from functions.content.feed_pulls import handle_pull_records

    report = handle_pull_records(event)
    observability.count("FeedItemsCreated", report.created)
    return report.response()


@app.on_sqs_message(queue=CLICK_BACKLOG_QUEUE, batch_size=10, maximum_concurrency=5, name="write_backlog_clicks")
def write_backlog_clicks(event: Any) -> dict[str, list[dict[str, str]]]:
    """Write the clicks whose event write failed on the redirect; the messages to retry are reported.

    At most five at a time: the backlog drains steadily instead of piling onto a table that just throttled.
    """
    from functions.clicks.backlog import write_backlog_records

    report = write_backlog_records(event, time_left_ms=event.context.get_remaining_time_in_millis)
    observability.count("BacklogClicksWritten", report.written)
    return report.response()


@app.on_sns_message(topic=MAIL_FEEDBACK_TOPIC, name="mail_feedback")
def mail_feedback(event: Any) -> dict[str, Any]:
    """SES bounces and complaints: a permanent bounce or a complaint stops mail to that address."""
    from functions.digest.suppression import SesNotificationError, handle_ses_notification

    try:
        outcome = handle_ses_notification(event.message)
    except SesNotificationError as exc:  # retrying a malformed notice cannot help; say so and drop it
        observability.logger().warning("malformed_mail_feedback", extra={"error": str(exc)})
        return {"suppressed": 0}
    return {"suppressed": len(outcome.suppressed)}


@app.on_dynamodb_record(stream_arn=CONTENT_STREAM_ARN, batch_size=100, name="rebuild_site")
def rebuild_site(event: Any) -> dict[str, Any]:
    """Content changed (added, edited, published, archived): rebuild the site now, not at the next schedule.

    While another build runs this raises SiteBusyError, and Lambda retries the batch: the change is not lost.
    """
    return _rebuild_site("content")


@app.on_dynamodb_record(stream_arn=EMPLOYEES_STREAM_ARN, batch_size=1000, name="rebuild_site_for_directory")
def rebuild_site_for_directory(event: Any) -> dict[str, Any]:
    """The directory changed (a name hidden or shown, someone leaving): the public leaderboards follow now."""
    return _rebuild_site("directory")


@app.on_sns_message(topic=UNSUBSCRIBE_MAIL_TOPIC, name="unsubscribe_mail")
def unsubscribe_mail(event: Any) -> dict[str, Any]:
    """An email to the unsubscribe address (the mailto half of List-Unsubscribe) turns that digest off."""
    from functions.digest.inbound import handle_unsubscribe_mail
    from functions.digest.suppression import SesNotificationError

    try:
        outcome = handle_unsubscribe_mail(event.message)
    except SesNotificationError as exc:
        observability.logger().warning("malformed_unsubscribe_mail", extra={"error": str(exc)})
        return {"unsubscribed": 0}
    if outcome.ignored_because:
        observability.logger().info("unsubscribe_mail_ignored", extra={"reason": outcome.ignored_because})
    return {"unsubscribed": int(outcome.unsubscribed is not None)}
