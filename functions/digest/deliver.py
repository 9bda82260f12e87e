"""Sending digests through SES, exactly once per employee and period.

A queue message names employees and periods (``{"employees": [{"employee_id": …, "period": …}]}``).
For each, a conditional write on the digests table (employee_id, period) claims the send, ``compose``
builds the raw message, SES's ``send_raw_email`` sends it (so custom headers survive), and the row is
marked ``sent`` with the SES message id, the content ids and the time. The row's states:

* ``sending`` — claimed, with ``claim`` (a random token) and ``lease_until`` (epoch seconds);
* ``sent`` — ``message_id``, ``content_ids``, ``sent_at``: a later attempt reports "already sent";
* ``skipped`` — ``reason`` (compose had nothing to send): not recomputed for the same period;
* ``failed`` — ``error_code``, ``error_message``: SES refused this message for good; not retried this period;
* ``released`` — a transient failure outlived its retries; the next attempt may claim at once;
* ``unknown`` — the request reached SES but its answer was lost: SES may have sent it; not sent again.

Every row carries ``attempts`` and ``expires_at`` (DynamoDB TTL): 35 days from the first claim, far
beyond SQS's (at most 14 days) and Lambda's (6 hours) retry windows, so no retry outlives its row; a
``sent`` row is kept records.HISTORY_DAYS (180 days) instead, because its ``content_ids`` (a string set)
are the "already received" history compose consults. functions.digest.records stores and reads the rows.

Decisions:

* Lease of 5 minutes: longer than the worker's whole invocation (60 s at most), so a live holder never
  loses its claim; shorter than the queue's visibility timeout (6 minutes), so the redelivery that
  follows a crash finds the lease expired and sends. The cost is one narrow window: if the worker dies
  after SES accepted the message but before "sent" is written, a retry sends again. SES v1 has no
  idempotency key, so no design closes that gap; the "sent" write is retried to keep it small, and the
  failure is logged with the message id.
* A conditional write rather than Powertools idempotency: the key is the domain's own (employee,
  period), not a hash of the event; the row is also the record of what each digest held (read to avoid
  repeating items), which Powertools' opaque table cannot be; it needs states Powertools lacks (skipped,
  failed, released) and per-employee outcomes inside one message; its default expiry (1 h) is shorter
  than the retry window; and it costs about 120 ms more at cold start.
* Our own backoff owns SES retries (the SES client makes a single attempt): botocore's retries would
  multiply ours and spend time the deadline does not see. Only what SES certainly did not accept is
  tried again: throttling, and a connection that was never made. A read timeout, a connection closed
  after the request went out, or a 5xx may follow an accepted message: the row becomes ``unknown``
  (its items count as received), the digest is not sent again this period and ``DigestsUnknown``
  counts it — one missed digest beats a second copy in the employee's inbox. Equal jitter keeps every
  pause above half its step, so workers throttled together spread out without collapsing to zero waits.
* Unknown SES error codes count as permanent (unless HTTP 5xx, which is ``unknown``): a wrong guess
  costs one employee one digest, recorded; the other way risks retrying a refused message until the
  dead-letter queue.
* A malformed body is logged and dropped, never retried: retrying cannot fix it.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from functions import aws, observability
from functions.config import settings
from functions.digest.records import (
    Claim,
    ClaimTakenError,
    DeliveryRecord,
    DeliveryRecords,
    Status,
)
from functions.dynamo import error_code

SEND_ATTEMPTS = 5  # pauses of at most 0.2 + 0.4 + 0.8 + 1.6 s between them
FIRST_PAUSE = 0.2
MAX_PAUSE = 2.0
RECORD_ATTEMPTS = 3  # for the "sent" write, the one whose loss can cause a second send
DEFAULT_BUDGET = 50.0  # seconds, when the caller gives no deadline
RESERVE = 10.0  # seconds kept back from Lambda's remaining time: one employee's worst case after a check
MAX_EMPLOYEES = 1000  # per message; a 60 s worker sends a few hundred

# Throttled: SES refused the request before accepting anything, so sending again cannot duplicate it.
NOT_ACCEPTED_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
# SES failed while handling the request: it may or may not have accepted the message.
UNCERTAIN_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

_EMPLOYEE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
_PERIOD = re.compile(r"[0-9A-Za-z][0-9A-Za-z:._-]{0,31}")


class Outcome(StrEnum):
    """What one attempt did for one employee and period."""

    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"  # SES refused it for good; recorded on the row
    ALREADY_SENT = "already sent"
    ALREADY_SKIPPED = "already skipped"
    ALREADY_FAILED = "already failed"
    IN_PROGRESS = "in progress"  # another worker holds the claim
    RETRY = "retry"  # a transient failure outlived its retries; the claim was released
    OUT_OF_TIME = "out of time"  # not attempted before the deadline
    UNKNOWN = "unknown"  # SES may have accepted it (its answer was lost); recorded, never sent again
    ALREADY_UNKNOWN = "already unknown"


RETRYABLE = frozenset({Outcome.IN_PROGRESS, Outcome.RETRY, Outcome.OUT_OF_TIME})
_ALREADY = {
    Status.SENT: Outcome.ALREADY_SENT,
    Status.SKIPPED: Outcome.ALREADY_SKIPPED,
    Status.FAILED: Outcome.ALREADY_FAILED,
    Status.UNKNOWN: Outcome.ALREADY_UNKNOWN,
}


@dataclass(frozen=True)
class Composed:
    """A digest ready to send: the whole MIME message, its one recipient, and the content it holds.

    ``after_send`` runs once SES took the message (or may have: ``unknown``), after its row is settled: what
    the composer notes about a sent digest, such as the polls it carried. Its failure is logged and counted
    (``DigestAfterSendErrors``), never retried: the digest is out, and sending it again is worse.
    """

    raw: bytes
    destination: str
    content_ids: tuple[str, ...]
    after_send: Callable[[], object] | None = None
    team: str = ""  # the employee's, for the KPIs' digest funnel by team


class SkipDigest(Exception):
    """Raised by ``compose`` instead of returning None to record why there is nothing to send."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedBatchError(ValueError):
    """A queue message that is not ``{"employees": [{"employee_id": …, "period": …}, …]}``."""


Compose = Callable[[str, str], Composed | None]


@dataclass(frozen=True)
class Delivery:
    employee_id: str
    period: str
    outcome: Outcome
    message_id: str | None = None
    detail: str | None = None  # the skip reason, the SES error code, or what went wrong


@dataclass(frozen=True)
class BatchResult:
    """Per-employee outcomes of one message; ``error`` says why a malformed message was dropped."""

    deliveries: tuple[Delivery, ...] = ()
    error: str | None = None

    @property
    def retry(self) -> bool:
        """True when the message must come back: some employee's digest is neither sent nor settled."""
        return any(delivery.outcome in RETRYABLE for delivery in self.deliveries)

    def count(self, outcome: Outcome) -> int:
        return sum(delivery.outcome is outcome for delivery in self.deliveries)


class _TransientSendError(Exception):
    pass


class _UncertainSendError(Exception):
    """The request reached SES, but its answer did not reach us: the message may have been accepted."""


class _PermanentSendError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- public entry points -----------------------------------------------------------------------------


def parse_batch(body: str) -> list[tuple[str, str]]:
    """The (employee_id, period) pairs of a queue message, duplicates dropped; raises MalformedBatchError."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MalformedBatchError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"employees"}:
        raise MalformedBatchError('expected an object with only "employees"')
    employees = data["employees"]
    if not isinstance(employees, list) or not employees:
        raise MalformedBatchError('"employees" must be a non-empty list')
    if len(employees) > MAX_EMPLOYEES:
        raise MalformedBatchError(f'"employees" holds {len(employees)} entries, at most {MAX_EMPLOYEES} allowed')
    targets: dict[tuple[str, str], None] = {}
    for index, entry in enumerate(employees):
        if not isinstance(entry, dict) or set(entry) != {"employee_id", "period"}:
            raise MalformedBatchError(f"employees[{index}] must be an object with only employee_id and period")
        employee_id, period = entry["employee_id"], entry["period"]
        if not isinstance(employee_id, str) or not _EMPLOYEE_ID.fullmatch(employee_id):
            raise MalformedBatchError(f"employees[{index}].employee_id is not an employee id")
        if not isinstance(period, str) or not _PERIOD.fullmatch(period):
            raise MalformedBatchError(f"employees[{index}].period is not a period such as 2026-11-22 or 2026-W47")
        targets[(employee_id, period)] = None
    return list(targets)


def send_batch(
    message_body: str,
    compose: Compose,
    ses: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    records: DeliveryRecords | None = None,
    configuration_set: str | None = None,
) -> BatchResult:
    """Send the digests one queue message names, each at most once; see the module docstring.

    ``deadline`` is a ``clock()`` time after which no new employee is started and no retry pause is
    taken (default: 50 s from now); ``now`` is wall-clock epoch time for leases and stamps;
    ``configuration_set`` names the SES configuration set whose event destination reports bounces.
    """
    try:
        targets = parse_batch(message_body)
    except MalformedBatchError as exc:
        observability.count("DigestMessagesMalformed")
        observability.logger().error("digest_message_malformed", extra={"error": str(exc), "body": message_body[:500]})
        return BatchResult(error=str(exc))
    sender = _Sender(
        compose=compose,
        ses=ses or ses_client(),
        records=records or DeliveryRecords(now=now),
        source=settings().mail_from,
        sleep=sleep,
        clock=clock,
        deadline=clock() + DEFAULT_BUDGET if deadline is None else deadline,
        rng=rng or random.Random(),
        configuration_set=configuration_set,
    )
    deliveries = tuple(sender.deliver(employee_id, period) for employee_id, period in targets)
    for outcome in (Outcome.SENT, Outcome.SKIPPED, Outcome.FAILED, Outcome.RETRY, Outcome.UNKNOWN):
        if n := sum(d.outcome is outcome for d in deliveries):
            observability.count(f"Digests{outcome.value.title()}", n)
    return BatchResult(deliveries)


def handle_sqs_records(
    records: Iterable[Any],
    compose: Compose,
    ses: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], float] = time.time,
    rng: random.Random | None = None,
    configuration_set: str | None = None,
) -> dict[str, list[dict[str, str]]]:
    """An SQS partial batch response: the messages to redeliver, for ``ReportBatchItemFailures``.

    ``records`` are Lambda's SQS records as dicts, or Chalice ``SQSRecord``s (their ``to_dict()``).
    """
    deadline = clock() + DEFAULT_BUDGET if deadline is None else deadline
    failures: list[dict[str, str]] = []
    shared = DeliveryRecords(now=now)
    for record in records:
        raw = record.to_dict() if hasattr(record, "to_dict") else record
        message_id = raw["messageId"]
        if clock() >= deadline:
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            result = send_batch(
                raw["body"],
                compose,
                ses,
                sleep,
                deadline=deadline,
                clock=clock,
                now=now,
                rng=rng,
                records=shared,
                configuration_set=configuration_set,
            )
        except Exception:  # noqa: BLE001 - one message's bug must not cost the others their delivery
            observability.logger().exception("digest_message_failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        if result.retry:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def deadline_from_context(context: Any, reserve: float = RESERVE, clock: Callable[[], float] = time.monotonic) -> float:
    """A ``clock()`` deadline ``reserve`` seconds before this Lambda invocation times out."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return clock() + DEFAULT_BUDGET
    seconds = remaining() / 1000
    budget = seconds - min(reserve, seconds / 5)  # a short invocation keeps back a fifth, not all of it
    return clock() + max(budget, 0.0)


@cache
def ses_client() -> Any:
    """An SES client that tries once: ``send_batch``'s own backoff owns retries and the deadline."""
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 1})
    return aws.session().client("ses", config=config)


# --- one employee ------------------------------------------------------------------------------------


@dataclass
class _Sender:
    compose: Compose
    ses: Any
    records: DeliveryRecords
    source: str
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    deadline: float
    rng: random.Random
    configuration_set: str | None = None

    def deliver(self, employee_id: str, period: str) -> Delivery:
        from botocore.exceptions import BotoCoreError, ClientError

        def done(outcome: Outcome, message_id: str | None = None, detail: str | None = None) -> Delivery:
            return Delivery(employee_id, period, outcome, message_id, detail)

        if self.clock() >= self.deadline:
            return done(Outcome.OUT_OF_TIME)
        try:
            claim = self.records.claim(employee_id, period)
        except ClaimTakenError as taken:
            return _taken(employee_id, period, taken.record)
        except (BotoCoreError, ClientError) as exc:
            return done(Outcome.RETRY, detail=f"could not claim: {error_code(exc) or type(exc).__name__}")
        try:
            composed = self.compose(employee_id, period)
        except SkipDigest as skip:
            self._settle(self.records.mark_skipped, claim, skip.reason)
            return done(Outcome.SKIPPED, detail=skip.reason)
        except Exception as exc:  # noqa: BLE001 - any compose failure releases the claim for a retry
            observability.logger().exception("digest_compose_failed", extra={"employee": employee_id, "period": period})
            self._settle(self.records.release, claim, f"compose failed: {exc!r}")
            return done(Outcome.RETRY, detail=f"compose failed: {type(exc).__name__}")
        if composed is None:
            self._settle(self.records.mark_skipped, claim, "nothing to send")
            return done(Outcome.SKIPPED, detail="nothing to send")
        try:
            message_id = self._send(composed)
        except _PermanentSendError as exc:
            observability.logger().warning(
                "digest_rejected", extra={"employee": employee_id, "period": period, "code": exc.code}
            )
            self._settle(self.records.mark_failed, claim, exc.code, str(exc))
            return done(Outcome.FAILED, detail=exc.code)
        except _TransientSendError as exc:
            self._settle(self.records.release, claim, str(exc))
            return done(Outcome.RETRY, detail=str(exc))
        except _UncertainSendError as exc:
            return _after_send(composed, self._record_unknown(claim, str(exc), composed.content_ids))
        return _after_send(composed, self._record_sent(claim, message_id, composed))

    def _send(self, composed: Composed) -> str:
        """SES's message id; only a request SES certainly did not accept is tried again."""
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        last = ""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                response = self.ses.send_raw_email(**self._request(composed))
                return str(response["MessageId"])
            except ClientError as exc:
                code = error_code(exc)
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code in UNCERTAIN_CODES or (status >= 500 and code not in NOT_ACCEPTED_CODES):
                    raise _UncertainSendError(f"SES answered {code or 'HTTP ' + str(status)}") from None
                if code not in NOT_ACCEPTED_CODES:
                    message = exc.response.get("Error", {}).get("Message", "")
                    raise _PermanentSendError(code or "Unknown", message) from None
                last = code
            except BotoConnectionError as exc:  # no connection was made: nothing reached SES
                last = type(exc).__name__
            except HTTPClientError as exc:  # sent, then the connection closed or timed out before the answer
                raise _UncertainSendError(f"no answer from SES ({type(exc).__name__})") from None
            observability.count("SesTransientErrors")
            pause = _pause(attempt, self.rng)
            if attempt == SEND_ATTEMPTS or self.clock() + pause >= self.deadline:
                break
            self.sleep(pause)
        raise _TransientSendError(f"{last} after {attempt} attempts")

    def _request(self, composed: Composed) -> dict[str, Any]:
        # Destinations, not the To header, decide where it goes: exactly the one address compose chose.
        request = {"Source": self.source, "Destinations": [composed.destination], "RawMessage": {"Data": composed.raw}}
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        return request

    def _record_sent(self, claim: Claim, message_id: str, composed: Composed) -> Delivery:
        from functions.kpis.activity import note_digest

        delivery = Delivery(claim.employee_id, claim.period, Outcome.SENT, message_id)
        if not self._write_final(lambda: self.records.mark_sent(claim, message_id, composed.content_ids), claim):
            # Sent but not recorded: reported as sent (a redelivery could only send it again), logged loudly.
            observability.count("DigestsSentUnrecorded")
            observability.logger().error(
                "digest_sent_not_recorded",
                extra={"employee": claim.employee_id, "period": claim.period, "message_id": message_id},
            )
        note_digest(claim.employee_id, composed.team)  # the KPIs' digest funnel (best effort)
        return delivery

    def _record_unknown(self, claim: Claim, reason: str, content_ids: tuple[str, ...]) -> Delivery:
        """SES may have the message: say so and settle the row, so no retry sends it a second time."""
        observability.logger().error(
            "digest_send_unknown", extra={"employee": claim.employee_id, "period": claim.period, "reason": reason}
        )
        if not self._write_final(lambda: self.records.mark_unknown(claim, reason, content_ids), claim):
            observability.count("DigestsUnknownUnrecorded")  # the lease runs out and a redelivery may send
        return Delivery(claim.employee_id, claim.period, Outcome.UNKNOWN, detail=reason)

    def _write_final(self, write: Callable[[], bool], claim: Claim) -> bool:
        """A final state whose loss could cause a second send, written with retries; False if it never was."""
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                if not write():
                    observability.logger().warning("digest_claim_lost", extra={"employee": claim.employee_id})
                return True
            except (BotoCoreError, ClientError) as exc:
                observability.logger().warning(
                    "digest_state_write_failed", extra={"employee": claim.employee_id, "error": repr(exc)}
                )
                if attempt < RECORD_ATTEMPTS:
                    self.sleep(_pause(attempt, self.rng))
        return False

    def _settle(self, mark: Callable[..., bool], claim: Claim, *args: str) -> None:
        """Write a skipped/failed/released state; if that fails the lease runs out and a retry decides again."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            mark(claim, *args)
        except (BotoCoreError, ClientError) as exc:
            observability.logger().warning(
                "digest_state_not_written", extra={"employee": claim.employee_id, "error": repr(exc)}
            )


def _after_send(composed: Composed, delivery: Delivery) -> Delivery:
    if composed.after_send is not None:
        try:
            composed.after_send()
        except Exception:  # noqa: BLE001 - the digest is out: a note about it must not make it retry
            observability.count("DigestAfterSendErrors")
            observability.logger().exception(
                "digest_after_send_failed", extra={"employee": delivery.employee_id, "period": delivery.period}
            )
    return delivery


def _taken(employee_id: str, period: str, record: DeliveryRecord | None) -> Delivery:
    if record is None:  # the row vanished between the write and the read: let a retry look again
        return Delivery(employee_id, period, Outcome.IN_PROGRESS, detail="claim not readable")
    try:
        outcome = _ALREADY.get(Status(record.status))
    except ValueError:
        outcome = None
    if outcome is None:  # "sending" under a live lease, or a state this code does not write
        return Delivery(employee_id, period, Outcome.IN_PROGRESS, detail=f"status {record.status}")
    return Delivery(employee_id, period, outcome, record.message_id, record.reason or record.error_code)


def _pause(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: between half and all of min(MAX_PAUSE, FIRST_PAUSE·2^(n-1))."""
    step = min(MAX_PAUSE, FIRST_PAUSE * 2 ** (attempt - 1))
    return step / 2 + rng.uniform(0, step / 2)
