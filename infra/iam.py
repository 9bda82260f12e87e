"""What IAM authorizes an AWS API call as, and whether a policy document allows it.

``iam_requests(service, operation, params)`` turns a botocore call into the (action, resource ARN) pairs
IAM checks; ``allows(policy, action, resource)`` evaluates an identity policy (Allow and Deny, Action and
NotAction, Resource and NotResource, ``*`` and ``?`` wildcards; a statement with a Condition is refused
rather than guessed at). tests/integration/test_lambda_policy.py uses both on every call the Lambda code
made in the test session, because moto enforces no IAM.

Most calls are ``<service>:<Operation>`` on the resource they name. The exceptions:

- DynamoDB Streams (``dynamodbstreams``) is authorized as ``dynamodb:`` on the stream ARN; a Query or Scan
  with ``IndexName`` on ``table/<t>/index/<i>``; BatchGetItem and BatchWriteItem on every table they name;
  TransactWriteItems / TransactGetItems as each item's own action (PutItem, UpdateItem, DeleteItem,
  ConditionCheckItem, GetItem) on its table — IAM has no ``dynamodb:TransactWriteItems``.
- SES v1 (endpoint prefix ``email``) and v2 are ``ses:``; sending is authorized on the sender's identity
  and on the configuration set.
- S3: a presigned POST (botocore signs it on CreateBucket's model) is ``s3:PutObject`` on its key (a
  ``Key`` parameter, which that model lacks: infra/local/aws_calls.py adds it), else on every key;
  ListObjects(V2) and HeadBucket are ``s3:ListBucket`` on the bucket; HeadObject is ``s3:GetObject``;
  DeleteObjects is ``s3:DeleteObject`` on each key; CopyObject is GetObject on the source and PutObject on
  the target.
- SQS batches are their single actions (SendMessageBatch → ``sqs:SendMessage``, …) on the queue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

PARTITION = "aws"
DEFAULT_ACCOUNT = "000000000000"

PREFIXES = {"dynamodbstreams": "dynamodb", "sesv2": "ses"}
RENAMED = {
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}

Request = tuple[str, str]  # (action, resource ARN)


class UnmappedCallError(ValueError):
    """This module does not know which resource the call is authorized on: teach it (see the docstring)."""


def iam_requests(
    service: str,
    operation: str,
    params: dict[str, Any],
    region: str = "us-east-1",
    account: str = DEFAULT_ACCOUNT,
    presigned: bool = False,
) -> list[Request]:
    """The (action, resource) pairs IAM authorizes this API call as (``presigned``: signed now, sent by another)."""
    if presigned and (service, operation) == ("s3", "CreateBucket"):
        # botocore builds a presigned POST on CreateBucket's model; S3 authorizes the upload it signs as
        # PutObject on the key the POST policy fixes (``Key``, which the recorder reads from
        # generate_presigned_post), or on any key the browser may choose when it is not known.
        key = str(params.get("Key", "*")).replace("${filename}", "*")
        return [("s3:PutObject", f"arn:{PARTITION}:s3:::{params['Bucket']}/{key}")]
    mapper = _MAPPERS.get(service)
    if mapper is None:
        raise UnmappedCallError(f"{service}:{operation}: no IAM mapping for this service in infra/iam.py")
    action = f"{PREFIXES.get(service, service)}:{RENAMED.get((service, operation), operation)}"
    requests = list(mapper(action, operation, params, region, account))
    if not requests:
        raise UnmappedCallError(f"{service}:{operation}: no resource found in its parameters (infra/iam.py)")
    return requests


def _dynamodb(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    def table(name: str) -> str:
        return f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{name}"

    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                yield f"dynamodb:{TRANSACT_ACTIONS[kind]}", table(request["TableName"])
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for name in params.get("RequestItems", {}):
            yield action, table(name)
    elif "TableName" in params:
        index = params.get("IndexName")
        yield action, table(params["TableName"]) + (f"/index/{index}" if index else "")
    elif operation == "ListTables":
        yield action, "*"


def _dynamodb_streams(
    action: str, operation: str, params: dict[str, Any], region: str, account: str
) -> Iterator[Request]:
    if "StreamArn" in params:  # GetRecords names only an opaque iterator: not mapped (Lambda code never reads)
        yield action, params["StreamArn"]


def _sqs(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    if "QueueUrl" in params:
        owner, name = urlsplit(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        yield action, f"arn:{PARTITION}:sqs:{region}:{owner if owner.isdigit() else account}:{name}"
    elif "QueueName" in params:
        owner = params.get("QueueOwnerAWSAccountId", account)
        yield action, f"arn:{PARTITION}:sqs:{region}:{owner}:{params['QueueName']}"
    elif operation == "ListQueues":
        yield action, "*"


def _s3(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    bucket = params.get("Bucket")
    if bucket is None:
        if operation == "ListBuckets":
            yield "s3:ListAllMyBuckets", "*"
        return
    arn = f"arn:{PARTITION}:s3:::{bucket}"
    if operation == "DeleteObjects":
        for item in params.get("Delete", {}).get("Objects", []):
            yield action, f"{arn}/{item['Key']}"
    elif operation == "CopyObject":
        source = params["CopySource"]
        source = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else unquote(source.lstrip("/"))
        yield "s3:GetObject", f"arn:{PARTITION}:s3:::{source.split('?')[0]}"
        yield "s3:PutObject", f"{arn}/{params['Key']}"
    elif "Key" in params:
        yield action, f"{arn}/{params['Key']}"
    else:
        yield action, arn


def _ssm(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    names = params.get("Names") or [params[key] for key in ("Name", "Path") if key in params]
    for name in names:
        yield action, f"arn:{PARTITION}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _ses(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    if not operation.startswith("Send"):
        yield action, "*"
        return
    sender = params.get("Source") or params.get("FromEmailAddress")
    if not sender and "RawMessage" in params:
        sender = BytesHeaderParser().parsebytes(_raw(params["RawMessage"]["Data"])).get("From", "")
    if not sender and "Content" in params and "Raw" in params["Content"]:
        sender = BytesHeaderParser().parsebytes(_raw(params["Content"]["Raw"]["Data"])).get("From", "")
    address = parseaddr(sender or "")[1]
    yield action, f"arn:{PARTITION}:ses:{region}:{account}:identity/{address or '*'}"
    if params.get("ConfigurationSetName"):
        yield action, f"arn:{PARTITION}:ses:{region}:{account}:configuration-set/{params['ConfigurationSetName']}"


def _raw(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _sns(action: str, operation: str, params: dict[str, Any], region: str, account: str) -> Iterator[Request]:
    arn = params.get("TopicArn") or params.get("TargetArn")
    yield action, arn or "*"


_MAPPERS = {
    "dynamodb": _dynamodb,
    "dynamodbstreams": _dynamodb_streams,
    "sqs": _sqs,
    "s3": _s3,
    "ssm": _ssm,
    "ses": _ses,
    "sesv2": _ses,
    "sns": _sns,
}


# --- Evaluating a policy document ------------------------------------------------------------------


def allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    """True if an Allow statement matches and no Deny does (IAM's rule for one identity policy)."""
    allowed = False
    for statement in _statements(policy):
        if "Condition" in statement:
            raise ValueError(f"statement {statement.get('Sid', '?')} has a Condition, which is not evaluated here")
        if not _matches(statement, "Action", action, _action_matches) or not _matches(
            statement, "Resource", resource, _resource_matches
        ):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, dict) else statements


def _matches(statement: dict[str, Any], key: str, value: str, match: Any) -> bool:
    if key in statement:
        return any(match(pattern, value) for pattern in _listed(statement[key]))
    return not any(match(pattern, value) for pattern in _listed(statement[f"Not{key}"]))


def _listed(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def _action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, ignore_case=True).fullmatch(action) is not None


def _resource_matches(pattern: str, resource: str) -> bool:
    """ARNs match segment by segment (a wildcard never spans a colon before the resource part)."""
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), resource.split(":", 5)
    if len(wanted) != len(actual):
        return False
    return all(_glob(p).fullmatch(a) is not None for p, a in zip(wanted, actual, strict=True))
