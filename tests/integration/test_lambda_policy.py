"""Every function's own IAM policy allows every AWS call its code made in this test session, and no more
than the issue allows the internet-facing API and the digest sender.

moto enforces no IAM: a call the policy does not grant passes every other test and fails in AWS (the feed
pulls' Scan and DeleteItem did). tests/aws_calls.py records every call the Lambda code makes in the
session, in this process and in the `make run` runners the e2e tests start; these tests run last and check
each call against the policy of the function that made it, with the names the dev stage has in AWS.

Each function's role carries its own document, .chalice/policy-dev-<function>.json, named in config.json and
built by infra/policies.py from its table of what each function needs. Domain code a test called directly (no
handler on the stack) must be allowed to some function, or be what only the operator's CLI does.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra import policies
from infra.iam import allows
from infra.local.aws_calls import Call, logged
from infra.resources import queues, table_env, tables, template
from tests.conftest import ROOT

STAGE = "dev"
CONFIG = ROOT / ".chalice" / "config.json"
API_HANDLER = policies.API_HANDLER  # every route is one function in Chalice
DIGEST_SENDER = "send_digests"
EVENT_SOURCE_GRANTS = {  # what Lambda's event source mapping calls with the function's role
    "queue": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "stream": ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
}


@cache
def config() -> dict[str, Any]:
    return json.loads(CONFIG.read_text())


@cache
def policy_for(function: str) -> dict[str, Any]:
    """The identity policy of a deployed function's role: the file config.json names for it, as Chalice reads it."""
    name = config()["stages"][STAGE]["lambda_functions"][function]["iam_policy_file"]
    return json.loads((ROOT / ".chalice" / name).read_text())


# What the operator's CLI does with the operator's own credentials (functions/cli.py: admin-token,
# revoke-token) and no function may: tests call AdminTokenStore directly to get a token.
OPERATOR = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": f"arn:*:dynamodb:*:*:table/chorus-{STAGE}-admin_tokens",
        }
    ]
}


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
        allowed_by = [policy_for(function) for function in functions] + ([OPERATOR] if not call.handlers else [])
        if not any(allows(policy, call.action, call.resource) for policy in allowed_by):
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


# --- what each policy is, and what the API's and the digest sender's must never allow -----------------

ACCOUNT = "arn:aws:{service}:us-east-1:000000000000:{resource}"
SEND_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail", "ses:SendTemplatedEmail", "ses:SendBulkTemplatedEmail")
SITE_BUCKET = table_env(STAGE)["SITE_BUCKET"]


def mail_from() -> str:
    from functions.config import Settings

    return Settings.from_env({"CHORUS_STAGE": STAGE}).mail_from  # what the dev stage sends as


def identities(mail_from: str) -> list[str]:
    address = mail_from.rpartition("<")[2].rstrip(">")
    return [f"arn:aws:ses:us-east-1:000000000000:identity/{name}" for name in (address, address.partition("@")[2])]


def all_functions() -> set[str]:
    return {API_HANDLER, *handler_functions().values()}


def test_each_function_has_its_own_policy_file_and_every_file_is_one_functions() -> None:
    """Chalice gives a function without ``iam_policy_file`` the stage's policy-dev.json: every function of app.py
    must name its own file, and every policy file in .chalice/ must be some function's."""
    named = {
        function: settings["iam_policy_file"]
        for function, settings in config()["stages"][STAGE].get("lambda_functions", {}).items()
        if "iam_policy_file" in settings
    }
    assert set(named) == all_functions(), "functions of app.py without their own policy, or policies of no function"
    assert sorted(named.values()) == sorted({*named.values()}), "two functions share one policy file"
    on_disk = {path.name for path in (ROOT / ".chalice").glob("policy-*.json")}
    every_stage = {
        settings["iam_policy_file"]
        for stage in config()["stages"].values()
        for settings in stage.get("lambda_functions", {}).values()
        if "iam_policy_file" in settings
    }
    assert on_disk == every_stage, "policy files config.json does not name, or names that do not exist"
    assert "iam_policy_file" not in config()["stages"][STAGE] and "iam_policy_file" not in config()


def test_the_committed_policies_are_what_infra_policies_builds() -> None:
    """Edit NEEDS in infra/policies.py and run `python -m infra.policies`, never the JSON by hand."""
    stale = [
        function
        for function in policies.NEEDS
        if (ROOT / ".chalice" / policies.policy_file(function)).read_text()
        != policies.rendered(policies.build(function))
    ]
    assert not stale, f"run `.venv/bin/python -m infra.policies`: out of date for {stale}"
    assert policies.configured(json.loads(CONFIG.read_text())) == config()


@pytest.mark.parametrize(
    "action", ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
)
def test_the_api_cannot_write_admin_tokens_only_read_one(action: str) -> None:
    table = ACCOUNT.format(service="dynamodb", resource=f"table/chorus-{STAGE}-admin_tokens")
    assert allows(policy_for(API_HANDLER), "dynamodb:GetItem", table)  # it checks the token it is sent
    assert not allows(policy_for(API_HANDLER), action, table)


@pytest.mark.parametrize(
    "key", ["index.html", "en/index.html", "pl/leaderboard/index.html", "assets/site.css", "media/0a.png"]
)
def test_the_api_cannot_delete_or_overwrite_the_published_site(key: str) -> None:
    """It deletes only the unchecked uploads it was sent (uploads/), and writes only the images it checked."""
    api = policy_for(API_HANDLER)
    arn = ACCOUNT.format(service="s3", resource=f"{SITE_BUCKET}/{key}").replace(":us-east-1:000000000000:", ":::")
    assert not allows(api, "s3:DeleteObject", arn)
    assert allows(api, "s3:PutObject", arn) == key.startswith("media/")
    assert allows(api, "s3:DeleteObject", f"arn:aws:s3:::{SITE_BUCKET}/uploads/0a")


@pytest.mark.parametrize("function", sorted(all_functions()))
def test_only_the_digest_sender_sends_email_and_only_as_mail_from(function: str) -> None:
    policy = policy_for(function)
    mine = identities(mail_from())
    others = [*identities("Chorus <chorus@other.example>"), "arn:aws:ses:us-east-1:000000000000:identity/example.org"]
    for action in SEND_ACTIONS:
        for identity in others:
            assert not allows(policy, action, identity), f"{function} may send {action} as {identity}"
        for identity in mine:
            expected = function == DIGEST_SENDER and action == "ses:SendRawEmail"  # the only one the code calls
            assert allows(policy, action, identity) == expected, f"{function}: {action} as {identity}"
