"""The whole digest run through the app's own handlers: schedule → queue → worker → SES, over moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from functions import aws
from functions.config import settings
from functions.content.model import new_content
from functions.content.store import ContentStore
from functions.directory.model import Employee, employee_id_for
from functions.directory.store import EmployeeStore

pytestmark = pytest.mark.usefixtures("aws")

# 08:00 in Warsaw on Monday 23 November 2026 (UTC+1): the hourly run at 07:00 UTC plans it.
RUN = "2026-11-23T07:00:00Z"


def sent_mail() -> list[EmailMessage]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    parser = BytesParser(policy=policy.default)
    return [
        parser.parsebytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data)  # type: ignore[misc]
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    ]


def queued() -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=settings().digest_queue_name)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in messages]


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    arn = f"arn:aws:sqs:us-east-1:123456789012:{settings().digest_queue_name}"
    return {
        "Records": [
            {
                **record,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "us-east-1",
            }
            for record in records
        ]
    }


@pytest.fixture
def people() -> list[Employee]:
    store = EmployeeStore()
    team = [
        Employee(id=employee_id_for(e), email=e, name=n, team="Sales", locale=loc, timezone=tz, topics=topics)
        for e, n, loc, tz, topics in [
            ("ola@example.com", "Ola Wiśniewska", "pl", "Europe/Warsaw", ("product",)),
            ("egle@example.com", "Eglė Kazlauskienė", "lt", "Europe/Vilnius", ()),  # 09:00 there: not due
            ("ivan@example.com", "Иван <b>Петров</b>", "ru", "Europe/Warsaw", ()),
        ]
    ]
    for person in team:
        store.put(person)
    contents = ContentStore()
    published = datetime(2026, 11, 1, tzinfo=UTC)
    for language in ("pl", "ru", "en"):
        for n in range(3):
            contents.add(
                new_content(
                    content_id=f"{language}-{n}",
                    url=f"https://example.com/{language}/{n}",
                    title=f"Item {n} ({language})",
                    language=language,
                    status="published",
                    kind="company" if n == 0 else "third_party",
                    topics=("product",) if n == 2 else (),
                    important=n == 1,
                    share_texts={"linkedin": [f"Read this {n}"]},
                    publish_start=published,
                )
            )
    return team


def run_schedule(lambda_client: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": RUN,
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    return lambda_client.invoke("plan_digests", event).payload


def test_a_due_employee_gets_one_localised_digest_and_a_rerun_sends_nothing(
    client: Any, people: list[Employee]
) -> None:
    assert run_schedule(client.lambda_)["employees"] == 2  # Ola and Ivan; Eglė's hour has not come
    records = queued()
    result = client.lambda_.invoke("send_digests", sqs_event(records)).payload
    assert result == {"batchItemFailures": []}

    mail = {str(m["To"]): m for m in sent_mail()}
    assert len(mail) == 2
    ola = next(m for to, m in mail.items() if "ola@example.com" in to)
    assert ola["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<mailto:" in ola["List-Unsubscribe"] and "<https://" in ola["List-Unsubscribe"]
    html = ola.get_body(("html",)).get_content()  # type: ignore[union-attr]
    page = BeautifulSoup(html, "html.parser")
    assert page.html["lang"] == "pl"
    titles = [heading.get_text(strip=True) for heading in page.find_all("h2")]
    assert titles[0] == "Item 1 (pl)"  # important first
    assert all("(ru)" not in title for title in titles)  # her language, then English, never another
    shares = [a["href"] for a in page.find_all("a", href=True) if "/share/" in a["href"]]
    assert shares and all(urlsplit(href).path.startswith(f"/share/{people[0].id}/") for href in shares)
    # The site link lands her on the Polish site, her signed token in the fragment (kept by the site's script).
    from functions.directory.tokens import current_employee

    [site] = [a["href"] for a in page.find_all("a", href=True) if a["href"].startswith("https://site.example.org/")]
    assert site.startswith("https://site.example.org/pl/#t=")
    assert current_employee(site.split("#t=", 1)[1]).id == people[0].id
    ivan = next(m for to, m in mail.items() if "ivan@example.com" in to)
    ivan_page = BeautifulSoup(ivan.get_body(("html",)).get_content(), "html.parser")  # type: ignore[union-attr]
    assert "<b>Петров</b>" in ivan_page.get_text()  # his name, as he typed it: shown, never markup
    assert not any(node.get_text() == "Петров" for node in ivan_page.find_all("b"))

    # The hour's schedule fires again and SQS delivers the same message twice: nobody gets a second email.
    run_schedule(client.lambda_)
    client.lambda_.invoke("send_digests", sqs_event(records + queued()))
    assert len(sent_mail()) == 2


def test_an_employee_whose_address_bounced_gets_no_digest(client: Any, people: list[Employee]) -> None:
    notice = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "OLA@example.com"}]},
        "mail": {"destination": ["ola@example.com"]},
    }
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Message": json.dumps(notice),
                    "Subject": "",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:chorus-dev-mail-feedback",
                    "Timestamp": RUN,
                    "MessageAttributes": {},
                    "MessageId": "m1",
                },
            }
        ]
    }
    assert client.lambda_.invoke("mail_feedback", event).payload == {"suppressed": 1}

    assert run_schedule(client.lambda_)["employees"] == 1  # no longer planned at all
    client.lambda_.invoke("send_digests", sqs_event(queued()))
    assert ["ivan@example.com" in str(m["To"]) for m in sent_mail()] == [True]


def test_the_list_unsubscribe_link_unsubscribes_in_one_click_and_a_get_only_asks(
    client: Any, people: list[Employee]
) -> None:
    run_schedule(client.lambda_)
    client.lambda_.invoke("send_digests", sqs_event(queued()))
    ola = next(m for m in sent_mail() if "ola@example.com" in str(m["To"]))
    target = urlsplit(str(ola["List-Unsubscribe"]).split("<", 1)[1].split(">", 1)[0])
    path = f"{target.path}?{target.query}"
    store = EmployeeStore()

    page = client.http.get(path)  # what a mail scanner prefetching the link does
    assert page.status_code == 200 and "<form" in page.body.decode()
    assert store.get(people[0].id).digest_cadence == "weekly:monday"  # type: ignore[union-attr]  # the default

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # RFC 8058's POST, twice: the same answer
        response = client.http.post(path, headers=form, body="List-Unsubscribe=One-Click")
        assert (response.status_code, response.body) == (200, b"unsubscribed\n")
    assert store.get(people[0].id).digest_cadence == "off"  # type: ignore[union-attr]
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    body = '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n'
    assert client.http.post(path, headers=multipart, body=body).status_code == 200

    forged = path.replace(people[0].id, people[2].id)
    response = client.http.post(forged, headers=form, body="List-Unsubscribe=One-Click")
    assert response.status_code == 403 and "token" in json.loads(response.body)["fields"]
    assert store.get(people[2].id).digest_cadence == "weekly:monday"  # type: ignore[union-attr]

    sent_before = len(sent_mail())
    assert run_schedule(client.lambda_)["employees"] == 1  # she is no longer planned
    assert sent_before == 2


def inbound_mail(subject: str, spam: str = "PASS") -> dict[str, Any]:
    notice = {
        "notificationType": "Received",
        "receipt": {
            "spamVerdict": {"status": spam},
            "virusVerdict": {"status": "PASS"},
            "recipients": [settings().unsubscribe_address],
        },
        "mail": {
            "source": "someone@elsewhere.example",
            "destination": [settings().unsubscribe_address],
            "commonHeaders": {"subject": subject, "to": [settings().unsubscribe_address]},
        },
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Message": json.dumps(notice),
                    "Subject": "",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:chorus-dev-unsubscribe-mail",
                    "Timestamp": RUN,
                    "MessageAttributes": {},
                    "MessageId": "m2",
                },
            }
        ]
    }


def test_the_mailto_unsubscribe_from_the_header_turns_the_digest_off(client: Any, people: list[Employee]) -> None:
    run_schedule(client.lambda_)
    client.lambda_.invoke("send_digests", sqs_event(queued()))
    ola = next(m for m in sent_mail() if "ola@example.com" in str(m["To"]))
    mailto = urlsplit(str(ola["List-Unsubscribe"]).split("<mailto:", 1)[1].split(">", 1)[0])
    assert mailto.path == settings().unsubscribe_address
    subject = parse_qs(mailto.query)["subject"][0]  # what the mail client puts in the subject line
    store = EmployeeStore()

    assert client.lambda_.invoke("unsubscribe_mail", inbound_mail(subject, spam="FAIL")).payload == {"unsubscribed": 0}
    forged = subject[:-3] + "abc"
    assert client.lambda_.invoke("unsubscribe_mail", inbound_mail(forged)).payload == {"unsubscribed": 0}
    assert client.lambda_.invoke("unsubscribe_mail", inbound_mail("Re: hello")).payload == {"unsubscribed": 0}
    assert store.get(people[0].id).digest_cadence != "off"  # type: ignore[union-attr]

    assert client.lambda_.invoke("unsubscribe_mail", inbound_mail("Re: " + subject)).payload == {"unsubscribed": 1}
    assert store.get(people[0].id).digest_cadence == "off"  # type: ignore[union-attr]
    assert store.get(people[2].id).digest_cadence != "off"  # type: ignore[union-attr]


def test_without_inbound_unsubscribe_the_header_offers_no_mailto_that_nobody_reads(
    client: Any, people: list[Employee], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack deployed with InboundUnsubscribe=false has no receipt rule reading the unsubscribe mailbox: a
    client unsubscribing by mail there would be ignored, so only the one-click link is offered."""
    monkeypatch.setenv("INBOUND_UNSUBSCRIBE", "false")
    settings.cache_clear()
    run_schedule(client.lambda_)
    assert client.lambda_.invoke("send_digests", sqs_event(queued())).payload == {"batchItemFailures": []}
    ola = next(m for m in sent_mail() if "ola@example.com" in str(m["To"]))
    assert ola["List-Unsubscribe"].startswith("<https://") and "mailto:" not in ola["List-Unsubscribe"]
    assert ola["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_planner_reads_only_the_zones_people_live_in(people: list[Employee]) -> None:
    from collections import Counter

    from functions.digest.plan import due_employees
    from functions.directory.store import ZONES_KEY

    calls: Counter[str] = Counter()
    client = aws.dynamodb()
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.update([model.name]))
    now = datetime.fromisoformat(RUN)
    everyone = list(due_employees(now, everyone=True))
    assert sorted(due.employee_id for due in everyone) == sorted(person.id for person in people)
    assert calls == {"GetItem": 1, "Query": 2 * 8}  # Warsaw and Vilnius: daily + seven weekdays each

    calls.clear()
    assert len(list(due_employees(now))) == 2
    assert calls == {"GetItem": 1, "Query": 2}  # of the ~25 zones at 08:00 now, only Warsaw has people

    client.delete_item(TableName=settings().digests_table, Key=ZONES_KEY)  # a directory older than the record
    calls.clear()
    assert len(list(due_employees(now))) == 2  # still found: every zone at 08:00 is read
    assert calls["Query"] > 2
    client.meta.events.unregister("before-call.dynamodb.*")


def test_a_sent_digest_is_noted_for_the_kpis_and_its_share_links_say_they_came_from_it(
    client: Any, people: list[Employee]
) -> None:
    import time

    from functions.events import EventStore

    run_schedule(client.lambda_)
    client.lambda_.invoke("send_digests", sqs_event(queued()))
    ola = next(m for m in sent_mail() if "ola@example.com" in str(m["To"]))
    page = BeautifulSoup(ola.get_body(("html",)).get_content(), "html.parser")  # type: ignore[union-attr]
    shares = [a["href"] for a in page.find_all("a", href=True) if "/share/" in a["href"]]
    assert shares and all(parse_qs(urlsplit(href).query)["via"] == ["digest"] for href in shares)
    now = int(time.time())
    noted = [e for e in EventStore().slice(now - 120, now + 60) if e.type == "digest"]
    assert sorted((e.employee_id, e.team) for e in noted) == sorted((p.id, "Sales") for p in (people[0], people[2]))
    assert all(not e.visitor and not e.ip for e in noted)  # nothing about the reader's browser or address
