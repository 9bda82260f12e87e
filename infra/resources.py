"""Create the template's tables and bucket on a (local) endpoint: the runner's and the tests' bootstrap.

Reads infra/template.yaml, the same file `chalice package --merge-template` deploys, so the local
stack cannot drift from production.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).with_name("template.yaml")
LOCAL_ACCOUNT = "000000000000"
QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")


@cache
def template() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATE.read_text())


def _sub(value: Any, stage: str) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        names = {"Stage": stage, "AWS::AccountId": LOCAL_ACCOUNT}
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    return str(value)


def tables(stage: str = "dev") -> dict[str, dict[str, Any]]:
    """The template's tables as CreateTable requests, by logical id."""
    requests = {}
    for logical_id, resource in template()["Resources"].items():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        request: dict[str, Any] = {
            "TableName": _sub(props["TableName"], stage),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        requests[logical_id] = {"create": request, "ttl": props.get("TimeToLiveSpecification")}
    return requests


def queues(stage: str = "dev") -> dict[str, str]:
    """The template's SQS queue names, by logical id."""
    return {
        logical_id: _sub(resource["Properties"]["QueueName"], stage)
        for logical_id, resource in template()["Resources"].items()
        if resource.get("Type") == "AWS::SQS::Queue"
    }


def create_queues(sqs: Any, stage: str = "dev") -> None:
    """Every queue with the template's timeouts, retention and redrive policy (dead-letter queues first, so a
    redrive policy can name its queue's ARN): a message that keeps failing lands in its DLQ, as in AWS."""
    specs = {
        logical_id: resource["Properties"]
        for logical_id, resource in template()["Resources"].items()
        if resource.get("Type") == "AWS::SQS::Queue"
    }
    arns: dict[str, str] = {}
    for logical_id in sorted(specs, key=lambda logical_id: "RedrivePolicy" in specs[logical_id]):
        props = specs[logical_id]
        attributes = {key: str(props[key]) for key in QUEUE_ATTRIBUTES if key in props}
        if "RedrivePolicy" in props:
            [target, _] = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target], "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
            )
        url = sqs.create_queue(QueueName=_sub(props["QueueName"], stage), Attributes=attributes)["QueueUrl"]
        arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def bucket_name(stage: str = "dev", logical_id: str = "SiteBucket") -> str:
    return _sub(template()["Resources"][logical_id]["Properties"]["BucketName"], stage)


BUCKETS = ("SiteBucket", "DataBucket")


def create_all(
    dynamodb: Any, s3: Any | None = None, stage: str = "dev", sqs: Any | None = None, ses: Any | None = None
) -> list[str]:
    """Create every table (and the buckets and queues) that does not exist yet; return the tables created.

    With ``ses``, the digest's sender address is verified (SES refuses mail from unverified senders).
    """
    existing = set(dynamodb.list_tables()["TableNames"])
    created = []
    for spec in tables(stage).values():
        name = spec["create"]["TableName"]
        if name in existing:
            continue
        dynamodb.create_table(**spec["create"])
        if spec["ttl"]:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec["ttl"])
        created.append(name)
    if s3 is not None:
        existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        for name in (bucket_name(stage, logical_id) for logical_id in BUCKETS):
            if name not in existing_buckets:
                s3.create_bucket(Bucket=name)
    if sqs is not None:
        create_queues(sqs, stage)
    if ses is not None:
        from email.utils import parseaddr

        from functions.config import settings

        ses.verify_email_identity(EmailAddress=parseaddr(settings().mail_from)[1])
    return created


def table_env(stage: str = "dev") -> dict[str, str]:
    """The environment variables that name each table, as the template's Globals set them."""
    names = {logical: spec["create"]["TableName"] for logical, spec in tables(stage).items()}
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    env = {
        key: names[value["Ref"]]
        for key, value in variables.items()
        if isinstance(value, dict) and value.get("Ref") in names
    }
    env["SITE_BUCKET"] = bucket_name(stage)
    env["DATA_BUCKET"] = bucket_name(stage, "DataBucket")
    env["DIGEST_QUEUE_NAME"] = queues(stage)["DigestQueue"]
    env["FEED_PULL_QUEUE_NAME"] = queues(stage)["FeedPullQueue"]
    env["CLICK_BACKLOG_QUEUE_NAME"] = queues(stage)["ClickBacklogQueue"]
    env["SECRET_PARAMETER"] = secret_parameter(stage)
    env["CHORUS_STAGE"] = stage
    return env


def secret_parameter(stage: str = "dev") -> str:
    """The SSM name of the stage's signing secret, as the template's Globals give it to every function."""
    return _sub(template()["Globals"]["Function"]["Environment"]["Variables"]["SECRET_PARAMETER"], stage)
