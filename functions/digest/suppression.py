"""Bounces and complaints: SES reports them through SNS, and the address gets no more digests.

Permanent bounces and complaints suppress the employee (``mail_suppressed`` on their directory item,
found by the id the directory derives from the email); transient and undetermined bounces do not, since
a full mailbox or a greylisting server says nothing about next week. A complaint whose feedback type is
``not-spam`` is the recipient saying the opposite, so it suppresses nothing. Addresses that are not in
the directory are ignored. Both SES shapes are read: identity notifications (``notificationType``) and
configuration-set event publishing (``eventType``). Redelivered notifications change nothing: the first
reason and time are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from functions import observability
from functions.clock import utc_stamp
from functions.directory.model import Employee, EmployeeNotFoundError, employee_id_for

if TYPE_CHECKING:
    from functions.directory.store import EmployeeStore

BOUNCE = "bounce"
COMPLAINT = "complaint"


class SesNotificationError(ValueError):
    """The SNS message is not an SES notification this module can read; the message says what is wrong."""


@dataclass(frozen=True)
class SuppressionOutcome:
    """What one notification did: ``suppressed`` employee ids, ``unknown`` addresses, or why nothing happened."""

    notification_type: str
    suppressed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    ignored_because: str | None = None


def is_suppressed(employee: Employee) -> bool:
    """True when mail to this employee bounced permanently or drew a complaint: they get no digest."""
    return employee.mail_suppressed is not None


def handle_ses_notification(
    sns_message: str | dict[str, Any], store: EmployeeStore | None = None, now: datetime | None = None
) -> SuppressionOutcome:
    """Suppress the employees a bounce or complaint names; raises SesNotificationError if it is unreadable.

    ``sns_message`` is the SNS ``Message`` (a JSON string, as Chalice's ``event.message`` gives it), the
    parsed notification, or a whole SNS envelope (``{"Type": "Notification", "Message": …}``).
    """
    notification = notification_of(sns_message)
    kind = notification.get("notificationType") or notification.get("eventType")
    if not isinstance(kind, str) or not kind:
        raise SesNotificationError("not an SES notification: notificationType (or eventType) is missing")
    if kind == "Bounce":
        bounce = _section(notification, "bounce")
        bounce_type = bounce.get("bounceType")
        if bounce_type != "Permanent":
            return SuppressionOutcome(kind, ignored_because=f"{bounce_type or 'unknown'} bounce")
        reason, addresses = BOUNCE, _addresses(bounce, "bouncedRecipients")
    elif kind == "Complaint":
        complaint = _section(notification, "complaint")
        if complaint.get("complaintFeedbackType") == "not-spam":
            return SuppressionOutcome(kind, ignored_because="not-spam feedback")
        reason, addresses = COMPLAINT, _addresses(complaint, "complainedRecipients")
    else:
        # Delivery, Send, Open, the subscription confirmation SES sends first, …: nothing to suppress.
        return SuppressionOutcome(kind, ignored_because=f"{kind} notifications suppress nothing")
    return _suppress(kind, reason, addresses, store, now)


def _suppress(
    kind: str, reason: str, addresses: list[str], store: EmployeeStore | None, now: datetime | None
) -> SuppressionOutcome:
    if store is None:
        from functions.directory.store import EmployeeStore

        store = EmployeeStore()
    at = utc_stamp(now)
    suppressed: list[str] = []
    unknown: list[str] = []
    for address in dict.fromkeys(addresses):
        employee_id = employee_id_for(address)
        try:
            store.suppress_mail(employee_id, reason, at)
        except EmployeeNotFoundError:
            unknown.append(address)
            continue
        suppressed.append(employee_id)
    if suppressed:
        observability.count("MailSuppressed", len(suppressed))
        observability.logger().info("mail_suppressed", extra={"reason": reason, "employees": suppressed})
    if unknown:
        # Only a count: the addresses are personal data and not ours to keep in logs.
        observability.logger().info("suppression_for_unknown_addresses", extra={"count": len(unknown)})
    return SuppressionOutcome(kind, tuple(suppressed), tuple(unknown))


def notification_of(sns_message: str | dict[str, Any]) -> dict[str, Any]:
    """The SES notification inside an SNS message (a JSON string, a dict, or a whole SNS envelope)."""
    message: Any = sns_message
    if isinstance(message, (str, bytes)):
        message = _json(message, "the SNS message")
    if not isinstance(message, dict):
        raise SesNotificationError(f"expected a JSON object, got {type(message).__name__}")
    if message.get("Type") == "Notification" and "Message" in message:  # a whole SNS envelope
        return notification_of(message["Message"])
    return message


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SesNotificationError(f"{what} is not JSON: {exc}") from None


def _section(notification: dict[str, Any], name: str) -> dict[str, Any]:
    section = notification.get(name)
    if not isinstance(section, dict):
        raise SesNotificationError(f"a {name.title()} notification without a {name!r} object")
    return section


def _addresses(section: dict[str, Any], field: str) -> list[str]:
    recipients = section.get(field)
    if not isinstance(recipients, list) or not recipients:
        raise SesNotificationError(f"{field} must be a non-empty list")
    addresses = []
    for recipient in recipients:
        raw = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        # SES may write a display name ("Ada <ada@example.com>"); the directory keys the bare address.
        address = parseaddr(raw)[1] if isinstance(raw, str) else ""
        if "@" not in address:
            raise SesNotificationError(f"{field} holds an entry without a usable emailAddress")
        addresses.append(address)
    return addresses
