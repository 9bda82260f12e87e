"""The deployed IAM policy allows every AWS call the Lambda code made in this test session.

moto enforces no IAM: a call the policy does not grant passes every other test and fails in AWS (the feed
pulls' Scan and DeleteItem did). tests/aws_calls.py records every call the Lambda code makes in the
session, in this process and in the `make run` runners the e2e tests start; these tests run last and check
each call against the policy of the function that made it, with the names the dev stage has in AWS.

Today every function's role carries the same document, .chalice/policy-dev.json (`chalice package` gives
each function its own role with it); ``policy_for`` is the one place to change for per-function policies.
Domain code a test called directly (no handler on the stack) must be allowed to some function.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.iam import allows
from infra.local.aws_calls import Call, logged
from infra.resources import queues, table_env, tables, template
from tests.conftest import ROOT

STAGE = "dev"
POLICY = ROOT / ".chalice" / f"policy-{STAGE}.json"
API_HANDLER = "api_handler"  # every route is one function in Chalice
EVENT_SOURCE_GRANTS = {  # what Lambda's event source mapping calls with the function's role
    "queue": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "stream": ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
}


@cache
def policy_for(function: str) -> dict[str, Any]:
    """The identity policy of a deployed function's role."""
    return json.loads(POLICY.read_text())


@cache
def handler_functions() -> dict[str, str]:
    """app.py handler name → the Lambda function Chalice deploys it as (routes are all the API handler's)."""
    import app

    return {config.handler_string.split(".")[-1]: config.name for config in app.app.event_sources}


def functions_of(call: Call) -> tuple[list[str], str]:
    """The functions that may have made the call, and how to name them in a failure."""
    if not call.handlers:
        return sorted({API_HANDLER, *handler_functions().values()}), "any function (domain code a test called)"
    named = [handler_functions()[name] for name in call.handlers if name in handler_functions()]
    function = (named or [API_HANDLER])[0]
    return [function], function


def staged(name: dict[str, str]) -> str:
    return name["Fn::Sub"].replace("${Stage}", STAGE)


@cache
def stage_resources() -> dict[str, Any]:
    """A policy allowing anything on the resources the stage has in AWS: a call elsewhere names a wrong one."""
    table_names = [spec["create"]["TableName"] for spec in tables(STAGE).values()]
    resources = [f"arn:*:dynamodb:*:*:table/{name}{part}" for name in table_names for part in ("", "/*")]
    resources += [f"arn:*:sqs:*:*:{name}" for name in queues(STAGE).values()]
    for bucket in (table_env(STAGE)["SITE_BUCKET"], table_env(STAGE)["DATA_BUCKET"]):
        resources += [f"arn:*:s3:::{bucket}", f"arn:*:s3:::{bucket}/*"]
    resources.append(f"arn:*:ssm:*:*:parameter{table_env(STAGE)['SECRET_PARAMETER']}")
    resources += ["arn:*:ses:*:*:identity/*", f"arn:*:ses:*:*:configuration-set/chorus-{STAGE}"]
    for resource in template()["Resources"].values():
        if resource.get("Type") == "AWS::SNS::Topic":
            resources.append(f"arn:*:sns:*:*:{staged(resource['Properties']['TopicName'])}")
    return {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": resources}]}


def problems(calls: list[Call]) -> list[str]:
    lines = set()
    for call in calls:
        if call.unmapped:
            lines.add(f"{call.unmapped} ({call.where})")
            continue
        if not allows(stage_resources(), call.action, call.resource):
            lines.add(f"{call.action} on {call.resource}: not a resource of the {STAGE} stage ({call.where})")
        functions, who = functions_of(call)
        if not any(allows(policy_for(function), call.action, call.resource) for function in functions):
            lines.add(f"{call.action} on {call.resource} not allowed for {who} ({call.where})")
    return sorted(lines)


def test_the_policy_allows_every_aws_call_the_lambda_code_made(request: pytest.FixtureRequest) -> None:
    recorder, folder = request.config.chorus_aws_calls  # type: ignore[attr-defined]
    assert os.environ.get("CHORUS_AWS_CALL_LOG") == str(folder)
    in_runners = logged(Path(folder))
    calls = list(recorder.calls.values()) + in_runners
    assert calls, (
        "no AWS call was recorded: the recorder (infra/local/aws_calls.py) is broken, or this test ran alone "
        "(run it with the integration and e2e tests, as `make test` does)"
    )
    if any(item.get_closest_marker("e2e") for item in request.session.items):
        assert in_runners, "the e2e tests ran, but no `make run` runner logged a call (infra/local/aws_calls.py)"
    found = problems(calls)
    assert not found, "the deployed IAM policy refuses calls the code makes:\n" + "\n".join(found)


def test_every_queue_and_stream_a_handler_reads_is_granted_to_its_event_source() -> None:
    """Lambda reads a handler's queue or stream with the function's own role: without these, no event arrives."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    import app

    missing = []
    for config in app.app.event_sources:
        if isinstance(config, SQSEventConfig):
            kind, arn = "queue", f"arn:aws:sqs:us-east-1:000000000000:{config.queue}"
        elif isinstance(config, DynamoDBEventConfig):
            [event] = template()["Resources"][to_cfn_resource_name(config.name)]["Properties"]["Events"].values()
            table = template()["Resources"][event["Properties"]["Stream"]["Fn::GetAtt"][0]]["Properties"]["TableName"]
            name = staged(table)
            kind, arn = "stream", f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}/stream/2026-01-01T00:00:00.000"
        else:
            continue
        missing += [
            f"{action} on {arn} not allowed for {config.name}"
            for action in EVENT_SOURCE_GRANTS[kind]
            if not allows(policy_for(config.name), action, arn)
        ]
    assert not missing, "\n".join(missing)
