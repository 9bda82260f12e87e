"""Each Lambda function's own IAM policy, built from one table of what that function's code calls.

``python -m infra.policies`` writes ``.chalice/policy-<stage>-<function>.json`` for every function and names
each in ``.chalice/config.json`` (``stages.<stage>.lambda_functions.<function>.iam_policy_file``), so
`chalice package` gives every function a role holding only its own policy. Edit ``NEEDS`` below, never
the JSON files: tests/integration/test_lambda_policy.py fails when the committed files or config.json differ
from what this builds, when a function of app.py has no entry, and when the code makes a call the policy
of the function that made it does not allow.

What the internet-facing API (``api_handler``) must never hold, checked by those tests: a write to the admin
tokens (it only reads one to check it; the operator's CLI creates and revokes them), sending email (only
``send_digests`` may, and only as the MailFrom identity) and deleting the published site (it deletes only its
own unchecked uploads under ``uploads/``).

Resources are the stage's, by the names infra/template.yaml gives them: tables ``chorus-<stage>-<name>``
(with their indexes), queues ``chorus-<stage>-<name>``, the site and data buckets' keys by prefix, the
signing secret's SSM parameter, and the MailFrom address's SES identity (its domain, or the address itself
when only the address is verified) with the stage's configuration set.
"""

from __future__ import annotations

import argparse
import json
import re
from email.utils import parseaddr
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHALICE = ROOT / ".chalice"
STAGE = "dev"
API_HANDLER = "api_handler"  # every route is this one function in Chalice

READ = ("GetItem", "BatchGetItem", "Query")  # a table's items and its indexes
QUEUE_SOURCE = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")  # Lambda's SQS event source mapping
QUEUE_SEND = ("GetQueueUrl", "SendMessage")
STREAM_SOURCE = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")  # the stream's mapping

# The static site's build (a schedule and two stream handlers run the same code): it reads what the pages
# show, holds its lease and reads the directory's counts in the digests table, and writes, reads back and
# deletes pages. It never touches images (media/, uploads/), but its pages sit at the bucket's root.
_SITE_BUILD: dict[str, tuple[str, ...]] = {
    "table content": READ,
    "table employees": READ,
    "table aggregates": READ,
    "table digests": (*READ, "PutItem", "UpdateItem"),
    "site *": ("GetObject", "PutObject", "DeleteObject"),
}

# function → resource → actions (without the service's prefix; "site <prefix>" and "data <prefix>" are keys
# of the site and data buckets, "site-bucket" / "data-bucket" the buckets themselves, for ListBucket).
NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    API_HANDLER: {
        "table admin_tokens": ("GetItem",),  # checks a token; never writes one
        "table links": (*READ, "PutItem", "UpdateItem"),
        "table events": (*READ, "PutItem"),  # a click or a share; a failed click write goes to the backlog
        "table aggregates": READ,
        "table content": (*READ, "PutItem", "UpdateItem"),
        "table employees": (*READ, "PutItem", "UpdateItem", "BatchWriteItem"),
        "table feed_sources": (*READ, "PutItem", "UpdateItem", "DeleteItem"),
        "table suggestions": (*READ, "PutItem", "UpdateItem"),
        "table digests": (*READ, "PutItem", "UpdateItem"),  # preferences, the directory's counts
        "table polls": (*READ, "UpdateItem"),
        "queue click-backlog": QUEUE_SEND,
        "queue feed-pulls": QUEUE_SEND,  # "pull now"
        "site uploads/*": ("PutObject", "GetObject", "DeleteObject"),  # the browser's upload, checked, dropped
        "site media/*": ("PutObject", "GetObject"),  # the checked image, copied; served by /media/{name}
        "data-bucket": ("ListBucket",),
        "data facts/*": ("GetObject",),  # the KPIs
        "data events-parquet/*": ("GetObject",),
        "data readers/*": ("GetObject",),
        "secret": ("GetParameter",),
    },
    "pull_feeds": {
        "table feed_sources": READ,
        "queue feed-pulls": QUEUE_SEND,
    },
    "pull_feed": {
        "queue feed-pulls": QUEUE_SOURCE,
        "table feed_sources": (*READ, "UpdateItem"),
        "table content": (*READ, "PutItem"),
    },
    "build_site": _SITE_BUILD,
    "rebuild_site": {**_SITE_BUILD, "stream content": STREAM_SOURCE},
    "rebuild_site_for_directory": {**_SITE_BUILD, "stream employees": STREAM_SOURCE},
    "count_events": {
        "table events": READ,
        "table content": READ,
        "table employees": READ,
        "table aggregates": (*READ, "PutItem", "UpdateItem"),
        "data-bucket": ("ListBucket",),
        "data state/*": ("GetObject", "PutObject"),
        "data events/*": ("GetObject", "PutObject"),
        "data facts/*": ("GetObject", "PutObject", "DeleteObject"),  # compaction replaces a day's parts
        "data events-parquet/*": ("GetObject", "PutObject", "DeleteObject"),
        "data readers/*": ("GetObject", "PutObject", "DeleteObject"),
    },
    "plan_digests": {
        "table employees": READ,  # the digest_due index
        "table digests": READ,  # the zones in use
        "queue digests": QUEUE_SEND,
    },
    "send_digests": {
        "queue digests": QUEUE_SOURCE,
        "table digests": (*READ, "PutItem", "UpdateItem"),  # the exactly-once ledger
        "table employees": READ,
        "table content": READ,
        "table aggregates": READ,
        "table events": (*READ, "PutItem"),  # the digest's activity
        "table polls": (*READ, "UpdateItem"),
        "secret": ("GetParameter",),  # signs the digest's links
        "mail": ("SendRawEmail",),
    },
    "write_backlog_clicks": {
        "queue click-backlog": QUEUE_SOURCE,
        "table events": (*READ, "PutItem"),
    },
    "mail_feedback": {
        "table employees": (*READ, "UpdateItem"),  # suppresses a bounced or complaining address
    },
    "unsubscribe_mail": {
        "table employees": (*READ, "UpdateItem"),
        "secret": ("GetParameter",),  # checks the signed token in the subject
    },
}

LOGS = {
    "Sid": "Logs",
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "arn:*:logs:*:*:*",
}


def policy_file(function: str, stage: str = STAGE) -> str:
    """The policy's file name in .chalice/ (what config.json's ``iam_policy_file`` says)."""
    return f"policy-{stage}-{function}.json"


def mail_identities(mail_from: str) -> list[str]:
    """The SES identities a digest is sent as: the MailFrom domain, and the address in case only it is verified."""
    address = parseaddr(mail_from)[1]
    domain = address.rpartition("@")[2]
    if not domain or "@" not in address:
        raise ValueError(f"MailFrom {mail_from!r} has no address")
    return [domain, address]


def resources(key: str, stage: str, mail_from: str) -> tuple[str, list[str]]:
    """The service and the ARNs of one resource key of ``NEEDS``."""
    kind, _, name = key.partition(" ")
    prefix = f"chorus-{stage}"
    if kind == "table":
        table = f"arn:*:dynamodb:*:*:table/{prefix}-{name}"
        return "dynamodb", [table, f"{table}/index/*"]
    if kind == "stream":
        return "dynamodb", [f"arn:*:dynamodb:*:*:table/{prefix}-{name}/stream/*"]
    if kind == "queue":
        return "sqs", [f"arn:*:sqs:*:*:{prefix}-{name}"]
    if kind in ("site", "data"):
        return "s3", [f"arn:*:s3:::{prefix}-{kind}-*/{name}"]
    if kind in ("site-bucket", "data-bucket"):
        return "s3", [f"arn:*:s3:::{prefix}-{kind.removesuffix('-bucket')}-*"]
    if kind == "secret":
        return "ssm", [f"arn:*:ssm:*:*:parameter/chorus/{stage}/secret"]
    if kind == "mail":
        identities = [f"arn:*:ses:*:*:identity/{identity}" for identity in mail_identities(mail_from)]
        return "ses", [*identities, f"arn:*:ses:*:*:configuration-set/{prefix}"]
    raise ValueError(f"unknown resource {key!r} in infra/policies.py's NEEDS")


def _sid(key: str) -> str:
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z0-9]+", key) if word) or "Site"


def build(function: str, stage: str = STAGE, mail_from: str | None = None) -> dict[str, Any]:
    """The identity policy of ``function``'s role."""
    if mail_from is None:
        from functions.config import Settings

        mail_from = Settings.from_env({}).mail_from  # the address the code sends as when MAIL_FROM is unset
    statements: list[dict[str, Any]] = [LOGS]
    for key, actions in NEEDS[function].items():
        service, arns = resources(key, stage, mail_from)
        statements.append(
            {
                "Sid": _sid(key),
                "Effect": "Allow",
                "Action": [f"{service}:{action}" for action in actions],
                "Resource": arns[0] if len(arns) == 1 else arns,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def rendered(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def configured(config: dict[str, Any], stage: str = STAGE) -> dict[str, Any]:
    """config.json with every function of ``NEEDS`` pointing at its own policy file in ``stage``."""
    functions = config["stages"].setdefault(stage, {}).setdefault("lambda_functions", {})
    for function in NEEDS:
        functions.setdefault(function, {})["iam_policy_file"] = policy_file(function, stage)
    return config


def write(stage: str = STAGE, mail_from: str | None = None) -> list[Path]:
    """Write every function's policy and name each in config.json; returns the files written."""
    written = []
    for function in NEEDS:
        path = CHALICE / policy_file(function, stage)
        path.write_text(rendered(build(function, stage, mail_from)), encoding="utf-8")
        written.append(path)
    config_path = CHALICE / "config.json"
    config = configured(json.loads(config_path.read_text(encoding="utf-8")), stage)
    config_path.write_text(rendered(config), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write each Lambda function's IAM policy into .chalice/.")
    parser.add_argument("--stage", default=STAGE, help="the Chalice stage (its resources are chorus-<stage>-*)")
    parser.add_argument("--mail-from", help="the stage's MailFrom, e.g. 'Chorus <chorus@example.com>'")
    args = parser.parse_args(argv)
    for path in write(args.stage, args.mail_from):
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
