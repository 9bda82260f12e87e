"""Which IAM action and resource an AWS call is, and whether a policy allows it (infra/iam.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.iam import UnmappedCallError, allows, iam_requests

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table"


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("dynamodb", "GetItem", {"TableName": "t"}, [("dynamodb:GetItem", f"{TABLE}/t")]),
        ("dynamodb", "Query", {"TableName": "t", "IndexName": "i"}, [("dynamodb:Query", f"{TABLE}/t/index/i")]),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "b"}}]},
            [("dynamodb:PutItem", f"{TABLE}/a"), ("dynamodb:ConditionCheckItem", f"{TABLE}/b")],
        ),
        (
            "dynamodb",
            "BatchGetItem",
            {"RequestItems": {"a": {}, "b": {}}},
            [("dynamodb:BatchGetItem", f"{TABLE}/a"), ("dynamodb:BatchGetItem", f"{TABLE}/b")],
        ),
        (
            "dynamodbstreams",
            "DescribeStream",
            {"StreamArn": f"{TABLE}/t/stream/x"},
            [("dynamodb:DescribeStream", f"{TABLE}/t/stream/x")],
        ),
        (
            "sqs",
            "SendMessageBatch",
            {"QueueUrl": "http://127.0.0.1:5000/123456789012/chorus-dev-feed-pulls", "Entries": []},
            [("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:chorus-dev-feed-pulls")],
        ),
        ("sqs", "GetQueueUrl", {"QueueName": "q"}, [("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:000000000000:q")]),
        ("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "p/"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("s3", "HeadObject", {"Bucket": "b", "Key": "k/x"}, [("s3:GetObject", "arn:aws:s3:::b/k/x")]),
        (
            "s3",
            "DeleteObjects",
            {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}]}},
            [("s3:DeleteObject", "arn:aws:s3:::b/x"), ("s3:DeleteObject", "arn:aws:s3:::b/y")],
        ),
        (
            "ssm",
            "GetParameter",
            {"Name": "/chorus/dev/secret"},
            [("ssm:GetParameter", "arn:aws:ssm:us-east-1:000000000000:parameter/chorus/dev/secret")],
        ),
        (
            "ses",
            "SendRawEmail",
            {
                "RawMessage": {"Data": b"From: Chorus <chorus@example.com>\r\nTo: a@b.c\r\n\r\nhi"},
                "ConfigurationSetName": "c",
            },
            [
                ("ses:SendRawEmail", "arn:aws:ses:us-east-1:000000000000:identity/chorus@example.com"),
                ("ses:SendRawEmail", "arn:aws:ses:us-east-1:000000000000:configuration-set/c"),
            ],
        ),
    ],
)
def test_a_call_is_authorized_as_its_action_on_the_resources_it_names(
    service: str, operation: str, params: dict, expected: list[tuple[str, str]]
) -> None:
    assert iam_requests(service, operation, params) == expected


def test_a_call_this_module_cannot_map_is_an_error_not_a_pass() -> None:
    with pytest.raises(UnmappedCallError, match="kinesis:PutRecord"):
        iam_requests("kinesis", "PutRecord", {"StreamName": "s"})
    with pytest.raises(UnmappedCallError, match="no resource"):
        iam_requests("dynamodb", "DescribeLimits", {})


POLICY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": "arn:*:dynamodb:*:*:table/chorus-dev-*",
        },
        {"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:*:s3:::site-*/*"},
        {"Effect": "Deny", "Action": "*", "Resource": "arn:*:s3:::site-a/private/*"},
        {"Effect": "Allow", "NotAction": "sqs:Delete*", "Resource": "arn:*:sqs:*:*:jobs"},
    ]
}


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/chorus-dev-links", True),
        ("DynamoDB:getitem", "arn:aws:dynamodb:us-east-1:1:table/chorus-dev-links", True),  # actions ignore case
        ("dynamodb:Query", "arn:aws:dynamodb:us-east-1:1:table/chorus-dev-links/index/by_content", True),
        ("dynamodb:Scan", "arn:aws:dynamodb:us-east-1:1:table/chorus-dev-links", False),
        ("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:1:table/chorus-dev-feed_sources", False),
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/chorus-prod-links", False),
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/Chorus-dev-links", False),  # resources do not
        ("s3:PutObject", "arn:aws:s3:::site-a/en/index.html", True),
        ("s3:PutObject", "arn:aws:s3:::site-a/private/x", False),  # an explicit Deny wins
        ("s3:ListBucket", "arn:aws:s3:::site-a", False),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:jobs", True),
        ("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:1:jobs", False),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:jobs-dead", False),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:x:jobs", False),  # a wildcard never spans a colon
    ],
)
def test_a_policy_allows_what_an_allow_matches_and_no_deny_does(action: str, resource: str, allowed: bool) -> None:
    assert allows(POLICY, action, resource) is allowed


def test_a_condition_is_refused_rather_than_guessed() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {}}}]}
    with pytest.raises(ValueError, match="Condition"):
        allows(policy, "s3:GetObject", "arn:aws:s3:::b/k")


def test_a_presigned_post_is_authorized_as_putting_objects_in_its_bucket() -> None:
    assert iam_requests("s3", "CreateBucket", {"Bucket": "site"}, presigned=True) == [
        ("s3:PutObject", "arn:aws:s3:::site/*")
    ]
    assert iam_requests("s3", "CreateBucket", {"Bucket": "site"}) == [("s3:CreateBucket", "arn:aws:s3:::site")]


def test_a_presigned_post_for_one_key_is_authorized_on_that_key_only() -> None:
    assert iam_requests("s3", "CreateBucket", {"Bucket": "site", "Key": "uploads/ab"}, presigned=True) == [
        ("s3:PutObject", "arn:aws:s3:::site/uploads/ab")
    ]
    assert iam_requests("s3", "CreateBucket", {"Bucket": "site", "Key": "in/${filename}"}, presigned=True) == [
        ("s3:PutObject", "arn:aws:s3:::site/in/*")
    ]


def test_the_recorder_sees_the_key_a_presigned_post_is_signed_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore signs a POST on CreateBucket's model, which has no Key: the recorder must find it, or the image
    upload would need PutObject on every key of the site bucket (the published pages included)."""
    import boto3

    from infra.local.aws_calls import Recorder

    recorder = Recorder()
    monkeypatch.setattr(recorder, "_origin", lambda frame: ((), "functions/content/images.py:110"))
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # a fake key: nothing is sent
    )
    client.meta.events.register("before-parameter-build.s3.CreateBucket", recorder)
    client.generate_presigned_post(Bucket="chorus-dev-site-1", Key="uploads/0a1b")
    assert [(call.action, call.resource) for call in recorder.calls.values()] == [
        ("s3:PutObject", "arn:aws:s3:::chorus-dev-site-1/uploads/0a1b")
    ]


def _frames_from(*files: str) -> object:
    """The innermost frame of calls through functions compiled as these project files (outermost first), as
    botocore's hook would see it."""
    import sys

    from infra.local import aws_calls

    source = "def call(rest):\n    return rest[0](rest[1:]) if rest else sys._getframe(0)\n"
    calls = []
    for name in files:
        namespace: dict[str, Any] = {"sys": sys}
        exec(compile(source, str(aws_calls.ROOT / name), "exec"), namespace)  # noqa: S102 - our own two lines
        calls.append(namespace["call"])
    return calls[0](calls[1:])


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["app.py", "functions/digest/plan.py"], ("call",)),  # a handler's domain code
        (["tests/x.py", "functions/links/store.py"], ()),  # domain code a test called
        (["infra/local/runner.py", "app.py", "functions/digest/deliver.py"], ("call",)),  # a pumped handler
        (["app.py", "infra/local/runner.py", "functions/digest/plan.py"], None),  # a local-only /dev route
        (["app.py", "infra/local/queues.py"], None),  # the runner's queue pump behind a /dev route
        (["bench/clickstream.py", "functions/dynamo.py"], None),  # a benchmark's fixtures
    ],
)
def test_the_recorder_keeps_the_lambdas_calls_only(files: list[str], expected: tuple[str, ...] | None) -> None:
    from infra.local.aws_calls import Recorder

    origin = Recorder()._origin(_frames_from(*files))
    assert (origin[0] if origin else None) == expected
