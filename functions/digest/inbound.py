"""Unsubscribing by email: the mailto half of List-Unsubscribe.

SES receives mail for the unsubscribe address (a receipt rule, infra/template.yaml) and publishes each
message's notification to SNS; ``handle_unsubscribe_mail`` reads the subject the mailto link prefilled
("unsubscribe <signed token>") and turns that employee's digests off. The token decides, not the sender:
a forwarded or rewritten sender address still unsubscribes its owner, and a forged subject does nothing.
Mail SES marks as spam or a virus is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from functions.digest.suppression import SesNotificationError, notification_of

_TOKEN = re.compile(r"[0-9A-Za-z_-]{1,64}\.[0-9]{1,12}\.[0-9A-Za-z_-]{16,64}")


@dataclass(frozen=True)
class InboundOutcome:
    unsubscribed: str | None = None  # the employee id
    ignored_because: str | None = None


def handle_unsubscribe_mail(sns_message: str | dict[str, Any]) -> InboundOutcome:
    from functions.digest.preferences import employee_from_unsubscribe_token, unsubscribe
    from functions.signing import SignatureError

    notification = notification_of(sns_message)
    if notification.get("notificationType") != "Received":
        raise SesNotificationError("expected an SES Received notification")
    receipt = notification.get("receipt")
    if not isinstance(receipt, dict):
        receipt = {}
    for verdict in ("spamVerdict", "virusVerdict"):
        if (receipt.get(verdict) or {}).get("status") == "FAIL":
            return InboundOutcome(ignored_because=f"SES {verdict} FAIL")
    mail = notification.get("mail")
    headers = mail.get("commonHeaders") if isinstance(mail, dict) else None
    subject = headers.get("subject") if isinstance(headers, dict) else None
    if not isinstance(subject, str):
        raise SesNotificationError("a Received notification without mail.commonHeaders.subject")
    for candidate in _TOKEN.findall(unquote(subject)):
        try:
            employee_id = employee_from_unsubscribe_token(candidate)
        except SignatureError:
            continue
        if unsubscribe(employee_id) is None:
            return InboundOutcome(ignored_because="the token names nobody in the directory")
        return InboundOutcome(unsubscribed=employee_id)
    return InboundOutcome(ignored_because="no valid unsubscribe token in the subject")
