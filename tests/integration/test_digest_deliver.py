"""Digest delivery over moto: exactly once per employee and period, retries, rejections, suppression."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from functions.digest import deliver, records
from functions.digest.deliver import Composed, Outcome, SkipDigest
from functions.digest.records import HISTORY_DAYS, received_content_ids

PERIOD = "2026-W47"
ADA = "ada@example.com"
BOB = "bob@example.com"
CY = "cy@example.com"


@pytest.fixture
def mail(aws: None) -> Iterator[dict[str, str]]:
    """Three active employees (by email → id) and a fresh SES client for this moto account."""
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore

    deliver.ses_client.cache_clear()
    store = EmployeeStore()
    ids = {}
    for email in (ADA, BOB, CY):
        ids[email] = employee_id_for(email)
        store.put(Employee(id=ids[email], email=email, name=email.split("@")[0].title(), team="Eng"))
    yield ids
    deliver.ses_client.cache_clear()


class Composer:
    """A stand-in for the real compose: reads the directory, skips the suppressed, counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, employee_id: str, period: str) -> Composed | None:
        from functions.config import settings
        from functions.digest.suppression import is_suppressed
        from functions.directory.store import EmployeeStore

        self.calls.append((employee_id, period))
        employee = EmployeeStore().get(employee_id)
        if employee is None or not employee.active:
            return None
        if is_suppressed(employee):
            raise SkipDigest("mail suppressed")
        message = EmailMessage()
        message["From"] = settings().mail_from
        message["To"] = employee.email
        message["Subject"] = f"Your digest {period}"
        message["List-Unsubscribe"] = "<https://chorus.example.org/u/x>, <mailto:unsubscribe@example.com>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(f"Hello {employee.name}")
        return Composed(message.as_bytes(), employee.email, ("launch", "report"))


def body(*employee_ids: str, period: str = PERIOD) -> str:
    return json.dumps({"employees": [{"employee_id": i, "period": period} for i in employee_ids]})


def sqs_record(message_body: str, message_id: str) -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": message_body}


def sent_messages() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def recipients() -> list[str]:
    return sorted(BytesParser().parsebytes(m.raw_data.encode())["To"] for m in sent_messages())


def record(employee_id: str) -> records.DeliveryRecord | None:
    return records.DeliveryRecords().get(employee_id, PERIOD)


def client_error(code: str, status: int = 400) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": code, "Message": f"{code} (test)"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendRawEmail",
    )


class FlakySes:
    """The real (moto) SES behind a script of failures: ``failures[destination]`` is raised in order."""

    def __init__(self, failures: dict[str, list[Exception]]) -> None:
        self.inner = deliver.ses_client()
        self.failures = failures
        self.requests: list[dict[str, Any]] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    def send_raw_email(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        pending = self.failures.get(request["Destinations"][0])
        if pending:
            raise pending.pop(0)
        request.pop("ConfigurationSetName", None)  # moto would want the set created first
        return self.inner.send_raw_email(**request)


# --- exactly once ------------------------------------------------------------------------------------


def test_a_batch_is_sent_as_raw_mail_and_recorded(mail: dict[str, str]) -> None:
    result = deliver.send_batch(body(mail[ADA], mail[BOB], mail[ADA]), Composer())

    assert [d.outcome for d in result.deliveries] == [Outcome.SENT, Outcome.SENT]  # the repeat is dropped
    assert not result.retry
    assert recipients() == [ADA, BOB]
    headers = BytesParser().parsebytes(sent_messages()[0].raw_data.encode())
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # custom headers survive
    row = record(mail[ADA])
    assert row is not None and row.status == "sent"
    assert row.message_id == result.deliveries[0].message_id
    assert row.content_ids == ("launch", "report") and row.sent_at
    assert row.lease_until is None and row.attempts == 1
    # A sent row is also the "already received" history compose reads, so it outlives the repeat window.
    assert row.expires_at is not None
    assert row.expires_at - HISTORY_DAYS * 86400 == pytest.approx(time.time(), abs=60)
    assert received_content_ids(mail[ADA], date(2026, 11, 1)) == {"launch", "report"}
    skipped = deliver.send_batch(body(mail[CY], period="2026-W48"), lambda employee_id, period: None)
    assert skipped.deliveries[0].outcome is Outcome.SKIPPED
    cy = records.DeliveryRecords().get(mail[CY], "2026-W48")
    assert cy is not None and cy.expires_at is not None
    assert cy.expires_at - records.RECORD_DAYS * 86400 == pytest.approx(time.time(), abs=60)


def test_a_duplicated_message_and_a_rerun_send_nothing_twice(mail: dict[str, str]) -> None:
    """Delivered as Lambda delivers it: a Chalice SQSEvent (whose records hide messageId) and its context."""
    from chalice.app import SQSEvent

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    composer = Composer()
    message = body(mail[ADA], mail[BOB])
    event = SQSEvent({"Records": [sqs_record(message, "m1"), sqs_record(message, "m1-copy")]}, Context())
    deadline = deliver.deadline_from_context(event.context, clock=lambda: 100.0)

    response = deliver.handle_sqs_records(event, composer, deadline=deadline, clock=lambda: 100.0)
    rerun = deliver.send_batch(message, composer)

    assert deadline == 100.0 + 60 - deliver.RESERVE
    assert response == {"batchItemFailures": []}
    assert recipients() == [ADA, BOB]
    assert len(composer.calls) == 2  # the copy and the re-run never render
    assert [d.outcome for d in rerun.deliveries] == [Outcome.ALREADY_SENT, Outcome.ALREADY_SENT]
    assert rerun.deliveries[0].message_id == record(mail[ADA]).message_id  # type: ignore[union-attr]
    assert not rerun.retry


def test_two_concurrent_workers_send_once(mail: dict[str, str]) -> None:
    """Worker A is inside SES when worker B arrives: B must see A's claim, send nothing and ask for a retry."""
    inside, leave = threading.Event(), threading.Event()
    inner = deliver.ses_client()

    class HeldSes:
        def send_raw_email(self, **request: Any) -> dict[str, Any]:
            inside.set()
            leave.wait(5)
            return inner.send_raw_email(**request)

    message = body(mail[ADA])
    results: dict[str, deliver.BatchResult] = {}
    worker_a = threading.Thread(target=lambda: results.update(a=deliver.send_batch(message, Composer(), HeldSes())))
    worker_a.start()
    assert inside.wait(5)
    results["b"] = deliver.send_batch(message, Composer(), HeldSes())
    leave.set()
    worker_a.join(5)

    assert results["a"].deliveries[0].outcome is Outcome.SENT
    assert results["b"].deliveries[0].outcome is Outcome.IN_PROGRESS and results["b"].retry
    assert recipients() == [ADA]
    # B's message comes back after the visibility timeout and finds the digest sent.
    again = deliver.send_batch(message, Composer())
    assert again.deliveries[0].outcome is Outcome.ALREADY_SENT
    assert recipients() == [ADA]


def test_a_crashed_claim_is_retried_only_after_its_lease(mail: dict[str, str]) -> None:
    start = 1_800_000_000.0
    records.DeliveryRecords(now=lambda: start).claim(mail[ADA], PERIOD)  # a worker that then died
    message = body(mail[ADA])

    early = deliver.send_batch(message, Composer(), now=lambda: start + records.LEASE_SECONDS - 1)
    late = deliver.send_batch(message, Composer(), now=lambda: start + records.LEASE_SECONDS + 1)

    assert early.deliveries[0].outcome is Outcome.IN_PROGRESS and early.retry
    assert late.deliveries[0].outcome is Outcome.SENT
    assert recipients() == [ADA]
    assert record(mail[ADA]).attempts == 2  # type: ignore[union-attr]


# --- retries and failures ------------------------------------------------------------------------------


def test_throttling_is_retried_with_backoff_then_sent(mail: dict[str, str]) -> None:
    ses = FlakySes({ADA: [client_error("Throttling"), client_error("Throttling")]})
    sleeps: list[float] = []

    result = deliver.send_batch(
        body(mail[ADA]), Composer(), ses, sleep=sleeps.append, rng=random.Random(7), configuration_set="chorus-dev"
    )

    assert result.deliveries[0].outcome is Outcome.SENT
    assert ses.calls == 3 and recipients() == [ADA]
    assert ses.requests[0]["ConfigurationSetName"] == "chorus-dev"
    assert ses.requests[0]["Destinations"] == [ADA] and ses.requests[0]["RawMessage"]["Data"].startswith(b"From:")
    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4  # exponential, with jitter in the upper half


def test_a_permanent_rejection_is_recorded_and_the_rest_of_the_batch_is_sent(mail: dict[str, str]) -> None:
    ses = FlakySes({BOB: [client_error("MessageRejected")]})
    sleeps: list[float] = []
    message = body(mail[ADA], mail[BOB], mail[CY])

    response = deliver.handle_sqs_records([sqs_record(message, "m1")], Composer(), ses, sleep=sleeps.append)

    assert response == {"batchItemFailures": []}  # a retry cannot change SES's mind
    assert recipients() == [ADA, CY]
    assert sleeps == []
    row = record(mail[BOB])
    assert row is not None and row.status == "failed" and row.error_code == "MessageRejected"
    rerun = deliver.send_batch(message, Composer(), ses)
    assert [d.outcome for d in rerun.deliveries] == [Outcome.ALREADY_SENT, Outcome.ALREADY_FAILED, Outcome.ALREADY_SENT]
    assert rerun.deliveries[1].detail == "MessageRejected"


class Unavailable:
    """SES that never takes a message: always throttled for Ada, no connection at all for Bob."""

    calls = 0

    def send_raw_email(self, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import EndpointConnectionError

        self.calls += 1
        if request["Destinations"] == [ADA]:
            raise client_error("Throttling")
        raise EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com")


def test_a_transient_failure_beyond_retries_releases_the_claim_and_the_retry_sends(mail: dict[str, str]) -> None:
    failing = Unavailable()
    sleeps: list[float] = []
    first, other = body(mail[ADA]), body(mail[BOB])

    response = deliver.handle_sqs_records(
        [sqs_record(first, "m1"), sqs_record(other, "m2")], Composer(), failing, sleep=sleeps.append
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert failing.calls == 2 * deliver.SEND_ATTEMPTS
    assert len(sleeps) == 2 * (deliver.SEND_ATTEMPTS - 1) and sum(sleeps) < 2 * 3.0
    assert record(mail[ADA]).status == record(mail[BOB]).status == "released"  # type: ignore[union-attr]
    assert sent_messages() == []

    retried = deliver.handle_sqs_records([sqs_record(first, "m1"), sqs_record(other, "m2")], Composer())
    assert retried == {"batchItemFailures": []}
    assert recipients() == [ADA, BOB]


def answer_lost(kind: str) -> Exception:
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    if kind == "read timeout":
        return ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com")
    if kind == "connection closed":
        return ConnectionClosedError(endpoint_url="https://email.us-east-1.amazonaws.com")
    return client_error(*{"503": ("ServiceUnavailable", 503), "500": ("InternalFailure", 500)}[kind])


class AcceptsThenLosesTheAnswer(FlakySes):
    """SES takes the message (moto sends it) but the answer never arrives: ``failure`` is raised instead."""

    def __init__(self, failure: Exception) -> None:
        super().__init__({})
        self.failure = failure

    def send_raw_email(self, **request: Any) -> dict[str, Any]:
        super().send_raw_email(**request)
        raise self.failure


@pytest.mark.parametrize("kind", ["read timeout", "connection closed", "503", "500"])
def test_a_send_whose_answer_was_lost_is_recorded_unknown_and_never_sent_twice(mail: dict[str, str], kind: str) -> None:
    ses = AcceptsThenLosesTheAnswer(answer_lost(kind))
    sleeps: list[float] = []
    message = body(mail[ADA], mail[BOB])

    first = deliver.handle_sqs_records([sqs_record(message, "m1")], Composer(), ses, sleep=sleeps.append)
    again = deliver.handle_sqs_records([sqs_record(message, "m1")], Composer(), ses, sleep=sleeps.append)
    rerun = deliver.send_batch(message, Composer(), deliver.ses_client())

    assert recipients() == [ADA, BOB]  # each once: SES had them, nothing was sent a second time
    assert ses.calls == 2 and sleeps == []
    assert first == again == {"batchItemFailures": []}  # settled: redelivering the message cannot help
    row = record(mail[ADA])
    assert row is not None and row.status == "unknown"
    assert [d.outcome for d in rerun.deliveries] == [Outcome.ALREADY_UNKNOWN, Outcome.ALREADY_UNKNOWN]
    assert received_content_ids(mail[ADA], date(2026, 11, 1)) == {"launch", "report"}  # may be in their inbox


def test_the_deadline_cuts_retries_short_and_leaves_the_rest_for_the_retry(mail: dict[str, str]) -> None:
    clock = [0.0]

    def advance(seconds: float) -> None:
        clock[0] += seconds

    class SlowThrottled:
        """Each call takes 0.2 s and is throttled."""

        calls = 0

        def send_raw_email(self, **request: Any) -> dict[str, Any]:
            self.calls += 1
            advance(0.2)
            raise client_error("Throttling")

    ses = SlowThrottled()
    result = deliver.send_batch(
        body(mail[ADA], mail[BOB]), Composer(), ses, sleep=advance, deadline=0.5, clock=lambda: clock[0]
    )

    assert [d.outcome for d in result.deliveries] == [Outcome.RETRY, Outcome.OUT_OF_TIME]
    assert result.retry and ses.calls == 2
    assert clock[0] <= 0.5 + 0.2  # no pause crosses the deadline; only the call in flight may
    assert record(mail[ADA]).status == "released"  # type: ignore[union-attr]
    assert record(mail[BOB]) is None  # never claimed


def test_nothing_to_send_is_recorded_as_skipped_and_not_recomputed(mail: dict[str, str]) -> None:
    from functions.directory.store import EmployeeStore

    EmployeeStore().deactivate(mail[BOB], keep_on_leaderboard=False, at="2026-11-20T09:00:00+00:00")
    composer = Composer()
    message = body(mail[BOB])

    first = deliver.send_batch(message, composer)
    second = deliver.send_batch(message, composer)

    assert first.deliveries[0].outcome is Outcome.SKIPPED and first.deliveries[0].detail == "nothing to send"
    assert second.deliveries[0].outcome is Outcome.ALREADY_SKIPPED
    assert len(composer.calls) == 1 and sent_messages() == []
    assert record(mail[BOB]).reason == "nothing to send"  # type: ignore[union-attr]


def test_a_compose_error_releases_the_claim(mail: dict[str, str]) -> None:
    def broken(employee_id: str, period: str) -> Composed | None:
        raise RuntimeError("template missing")

    response = deliver.handle_sqs_records([sqs_record(body(mail[ADA]), "m1")], broken)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert record(mail[ADA]).status == "released"  # type: ignore[union-attr]
    assert deliver.send_batch(body(mail[ADA]), Composer()).deliveries[0].outcome is Outcome.SENT


MALFORMED_BODIES = [
    "not json",
    "[]",
    json.dumps({"employees": []}),
    json.dumps({"employees": [{"employee_id": "abc"}]}),
    json.dumps({"employees": [{"employee_id": "abc", "period": PERIOD, "extra": 1}]}),
    json.dumps({"employees": [{"employee_id": 7, "period": PERIOD}]}),
    json.dumps({"employees": [{"employee_id": "abc", "period": "../../x"}]}),
    json.dumps({"employees": [{"employee_id": "abc", "period": PERIOD}], "more": True}),
]


def test_a_malformed_message_is_a_permanent_failure(mail: dict[str, str]) -> None:
    composer = Composer()
    records = [sqs_record(message_body, f"bad-{n}") for n, message_body in enumerate(MALFORMED_BODIES)]

    results = [deliver.send_batch(message_body, composer) for message_body in MALFORMED_BODIES]
    response = deliver.handle_sqs_records(records, composer)

    assert all(result.error and result.deliveries == () and not result.retry for result in results)
    assert response == {"batchItemFailures": []}  # dropped, never redelivered: a retry cannot fix them
    assert composer.calls == [] and sent_messages() == []


# --- bounces and complaints -------------------------------------------------------------------------------


def bounce(address: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
            "timestamp": "2026-11-20T09:00:00.000Z",
        },
        "mail": {"messageId": "0100-abc", "destination": [address]},
    }


def complaint(address: str) -> dict[str, Any]:
    return {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
        "mail": {"messageId": "0100-def"},
    }


def employee(employee_id: str) -> Any:
    from functions.directory.store import EmployeeStore

    return EmployeeStore().get(employee_id)


def test_a_permanent_bounce_suppresses_the_address_and_stops_the_digest(mail: dict[str, str]) -> None:
    from functions.digest.suppression import handle_ses_notification, is_suppressed

    outcome = handle_ses_notification(json.dumps(bounce("Ada Lovelace <ADA@example.com>")))

    assert outcome.suppressed == (mail[ADA],)
    ada = employee(mail[ADA])
    assert is_suppressed(ada) and ada.mail_suppressed.reason == "bounce"
    result = deliver.send_batch(body(mail[ADA], mail[BOB]), Composer())
    assert result.deliveries[0].outcome is Outcome.SKIPPED and result.deliveries[0].detail == "mail suppressed"
    assert recipients() == [BOB]


def test_a_complaint_suppresses_and_a_repeat_keeps_the_first_reason(mail: dict[str, str]) -> None:
    from datetime import UTC, datetime

    from functions.digest.suppression import handle_ses_notification

    first = datetime(2026, 11, 20, 9, tzinfo=UTC)
    envelope = {"Type": "Notification", "MessageId": "sns-1", "Message": json.dumps(complaint(BOB))}
    published = {**bounce(BOB), "eventType": "Bounce"}  # configuration-set event publishing's shape
    del published["notificationType"]

    assert handle_ses_notification(envelope, now=first).suppressed == (mail[BOB],)
    assert handle_ses_notification(published, now=datetime(2026, 11, 21, tzinfo=UTC)).suppressed == (mail[BOB],)

    suppression = employee(mail[BOB]).mail_suppressed
    assert (suppression.reason, suppression.at) == ("complaint", "2026-11-20T09:00:00Z")


def test_transient_bounces_unknown_addresses_and_other_notices_suppress_nothing(mail: dict[str, str]) -> None:
    from functions.digest.suppression import handle_ses_notification, is_suppressed

    transient = handle_ses_notification(bounce(ADA, "Transient"))
    stranger = handle_ses_notification(bounce("nobody@example.net"))
    delivery = handle_ses_notification({"notificationType": "Delivery", "delivery": {}, "mail": {}})
    not_spam = handle_ses_notification(
        {"notificationType": "Complaint", "complaint": {"complaintFeedbackType": "not-spam"}}
    )

    assert transient.suppressed == () and transient.ignored_because == "Transient bounce"
    assert stranger.suppressed == () and stranger.unknown == ("nobody@example.net",)
    assert delivery.ignored_because and not_spam.ignored_because
    assert not any(is_suppressed(employee(i)) for i in mail.values())


def test_a_malformed_notification_raises_a_clear_error() -> None:
    from functions.digest.suppression import SesNotificationError, handle_ses_notification

    malformed: list[Any] = [
        "{not json",
        "[1, 2]",
        {"mail": {}},
        {"notificationType": "Bounce"},
        {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": []}},
        {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "no-at"}]}},
    ]
    for notification in malformed:
        with pytest.raises(SesNotificationError):
            handle_ses_notification(notification)


def test_a_directory_reimport_keeps_the_suppression(mail: dict[str, str]) -> None:
    from functions.digest.suppression import handle_ses_notification, is_suppressed
    from functions.directory.service import import_employees

    handle_ses_notification(bounce(ADA))
    report = import_employees(b"email,name,team\nada@example.com,Ada L.,Research\n")

    assert report.updated == 1
    ada = employee(mail[ADA])
    assert ada.team == "Research" and is_suppressed(ada)
