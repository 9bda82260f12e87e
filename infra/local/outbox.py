"""The local outbox: every email moto's SES accepted, kept as .eml files and browsable at /dev/outbox/.

moto keeps sent mail in memory only; the runner copies each new message into ``<state>/outbox/`` (so it
survives restarts) and the dev routes list and show them as the recipient would see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

_NAME = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9]{4}-[A-Za-z0-9-]{1,80}\.eml")


@dataclass(frozen=True)
class Letter:
    name: str
    to: str
    subject: str
    date: str
    html: str | None
    text: str | None
    headers: list[tuple[str, str]]


class Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.copied = 0  # how many of moto's sent messages are already on disk

    def collect(self) -> int:
        """Copy the messages moto's SES accepted since the last call; return how many."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        sent = list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
        fresh = sent[self.copied :]
        if fresh:
            self.folder.mkdir(parents=True, exist_ok=True)
        for number, message in enumerate(fresh, start=self.copied + 1):
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue  # only raw messages are digests; Chorus sends nothing else
            data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.folder / f"{stamp}-{number % 10000:04d}-{message.id}.eml"
            path.write_bytes(data)
        self.copied = len(sent)
        return len(fresh)

    def names(self) -> list[str]:
        """The stored messages, newest first."""
        if not self.folder.is_dir():
            return []
        return sorted((p.name for p in self.folder.glob("*.eml") if _NAME.fullmatch(p.name)), reverse=True)

    def read(self, name: str) -> Letter | None:
        if not _NAME.fullmatch(name) or not (self.folder / name).is_file():
            return None  # nothing outside the folder can be named
        message = BytesParser(policy=policy.default).parsebytes((self.folder / name).read_bytes())
        assert isinstance(message, EmailMessage)
        html = message.get_body(("html",))
        text = message.get_body(("plain",))
        return Letter(
            name=name,
            to=str(message["To"] or ""),
            subject=str(message["Subject"] or ""),
            date=str(message["Date"] or ""),
            html=html.get_content() if html is not None else None,
            text=text.get_content() if text is not None else None,
            headers=[(key, str(value)) for key, value in message.items()],
        )
