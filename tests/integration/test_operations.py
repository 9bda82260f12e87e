"""Running the stack: what an operator is told, what is kept and what stops a flood, on the merged template.

Checked on `chalice package --merge-template`'s real output (the session's ``merged_template``), with every
list derived from the template or the code, never written out here: a function, a queue, a stream trigger,
a schedule or a table added without its alarm, failure queue, log retention or backups fails these tests.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from functions import aws as chorus_aws
from infra import resources
from tests.conftest import BROWSER_HEADERS, World, short_code_from_intent, signed_share_path
from tests.integration.test_observability import emf_documents

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
# Event sources that invoke a function asynchronously (Lambda retries, then gives up on the event).
ASYNC_EVENTS = ("Schedule", "ScheduleV2", "SNS", "S3", "CloudWatchEvent", "EventBridgeRule", "IoTRule", "SES")
STREAM_EVENTS = ("DynamoDB", "Kinesis")
EM_AARCH64 = 183  # ELF e_machine


def of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") in types}


def target(value: Any) -> str | None:
    """The logical id a {"Ref": X} or {"Fn::GetAtt": [X, …]} points at."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    return None


def events(function: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {
        name: event.get("Properties", {})
        for name, event in function["Properties"].get("Events", {}).items()
        if event["Type"] in types
    }


def alarmed(template: dict[str, Any], namespace: str, metric: str, dimension: str) -> dict[str, dict[str, Any]]:
    """The alarms on ``namespace``/``metric``, by the logical id their ``dimension`` points at."""
    found = {}
    for alarm in of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if (props.get("Namespace"), props.get("MetricName")) != (namespace, metric):
            continue
        for dim in props.get("Dimensions", []):
            if dim["Name"] == dimension and target(dim["Value"]):
                found[target(dim["Value"])] = props
    return found


def failure_destinations(template: dict[str, Any]) -> dict[str, set[str]]:
    """Every queue something gives up into, by logical id, with what does: a queue (its redrive policy), a
    function (its asynchronous failure destination or dead-letter queue, a stream trigger's on-failure one)."""
    queues: dict[str, set[str]] = {}
    for name, queue in of_type(template, "AWS::SQS::Queue").items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            queues.setdefault(target(redrive["deadLetterTargetArn"]) or "", set()).add(name)
    for name, function in of_type(template, *FUNCTION_TYPES).items():
        for destination in function_failure_destinations(function):
            queues.setdefault(destination, set()).add(name)
    return queues


def function_failure_destinations(function: dict[str, Any]) -> set[str]:
    props = function["Properties"]
    on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
    destinations = [on_failure.get("Destination"), props.get("DeadLetterQueue", {}).get("TargetArn")]
    for source in events(function, *STREAM_EVENTS).values():
        destinations.append(source.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
    return {target(d) or "" for d in destinations if target(d)}


def consumed_queues(template: dict[str, Any]) -> dict[str, str]:
    """The queues a function's SQS event source reads, by logical id (chalice names them by QueueName)."""
    by_name = {name: logical_id for logical_id, name in resources.queues().items()}
    consumed = {}
    for name, function in of_type(template, *FUNCTION_TYPES).items():
        for source in events(function, "SQS").values():
            queue = source["Queue"]
            arn = queue["Fn::Sub"] if isinstance(queue, dict) and "Fn::Sub" in queue else None
            consumed[target(queue) or by_name[arn.rsplit(":", 1)[1]]] = name
    return consumed


def test_every_function_alarms_on_its_errors_and_throttles(merged_template: dict[str, Any]) -> None:
    functions = of_type(merged_template, *FUNCTION_TYPES)
    assert "APIHandler" in functions and len(functions) >= 12  # chalice's functions, read from the template
    errors = alarmed(merged_template, "AWS/Lambda", "Errors", "FunctionName")
    throttles = alarmed(merged_template, "AWS/Lambda", "Throttles", "FunctionName")
    assert set(functions) - set(errors) == set(), "functions without an Errors alarm"
    assert set(functions) - set(throttles) == set(), "functions without a Throttles alarm"
    for alarm in (*errors.values(), *throttles.values()):
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Sum",
            "GreaterThanThreshold",
            0,
        )
    # Kept to one at a time, they are throttled briefly by design: only throttling that lasts is an alarm.
    for name, function in functions.items():
        evaluated = throttles[name]["EvaluationPeriods"] * throttles[name]["Period"]
        assert evaluated == (900 if function["Properties"].get("ReservedConcurrentExecutions") == 1 else 300), name


def test_every_queue_is_read_by_a_function_or_is_a_failure_queue_that_alarms_on_its_first_message(
    merged_template: dict[str, Any],
) -> None:
    queues = of_type(merged_template, "AWS::SQS::Queue")
    failures = failure_destinations(merged_template)
    consumed = consumed_queues(merged_template)
    assert {"DigestDeadLetters", "StreamFailureDeadLetters", "AsyncFailureDeadLetters"} <= set(failures)
    assert set(queues) == set(failures) | set(consumed) and not set(failures) & set(consumed)
    depth = alarmed(merged_template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
    for queue in failures:
        alarm = depth.get(queue)
        assert alarm, f"{queue} (where {sorted(failures[queue])} give up) has no depth alarm"
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert queues[queue]["Properties"]["MessageRetentionPeriod"] == 1209600  # 14 days to look and replay
    # A queue a function reads retries a failing message, then moves it to its dead-letter queue.
    for queue, function in consumed.items():
        assert "RedrivePolicy" in queues[queue]["Properties"], f"{queue} ({function} reads it) has no dead-letter queue"


def test_every_stream_trigger_keeps_its_failed_batches_and_alarms_when_it_falls_behind(
    merged_template: dict[str, Any],
) -> None:
    queues = of_type(merged_template, "AWS::SQS::Queue")
    behind = alarmed(merged_template, "AWS/Lambda", "IteratorAge", "FunctionName")
    triggers = {n: f for n, f in of_type(merged_template, *FUNCTION_TYPES).items() if events(f, *STREAM_EVENTS)}
    assert {"RebuildSite", "RebuildSiteForDirectory"} <= set(triggers)
    for name, function in triggers.items():
        for source in events(function, *STREAM_EVENTS).values():
            destination = source.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            assert target(destination) in queues, f"{name}: a failed batch would be dropped"
            assert 0 <= source["MaximumRetryAttempts"] <= 10  # not -1 (forever: one bad batch stops the shard)
            assert "BisectBatchOnFunctionError" in source
        assert behind[name]["Statistic"] == "Maximum" and behind[name]["Threshold"] <= 15 * 60 * 1000


def test_every_schedule_and_notification_handler_keeps_the_events_it_gives_up_on(
    merged_template: dict[str, Any],
) -> None:
    """EventBridge schedules and SNS invoke asynchronously: after Lambda's retries the event goes to a queue."""
    queues = of_type(merged_template, "AWS::SQS::Queue")
    handlers = {n: f for n, f in of_type(merged_template, *FUNCTION_TYPES).items() if events(f, *ASYNC_EVENTS)}
    kinds = {event["Type"] for f in handlers.values() for event in f["Properties"]["Events"].values()}
    assert {"Schedule", "SNS"} <= kinds and len(handlers) >= 6
    for name, function in handlers.items():
        props = function["Properties"]
        invoke = props.get("EventInvokeConfig", {})
        destination = invoke.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        dead_letters = props.get("DeadLetterQueue", {}).get("TargetArn")
        assert target(destination) in queues or target(dead_letters) in queues, f"{name} drops events it gives up on"
        assert invoke.get("MaximumRetryAttempts", 2) >= 1


def test_each_function_may_send_to_its_failure_queue_before_lambda_is_told_to(merged_template: dict[str, Any]) -> None:
    """Lambda sends to a failure destination with the function's role, and refuses a destination the role
    cannot send to: the grant must exist, and be in place before the function (and its settings) is."""
    grants = send_grants(merged_template)
    checked = 0
    for name, function in of_type(merged_template, *FUNCTION_TYPES).items():
        depends_on = function.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        for queue in function_failure_destinations(function):  # none for a function only called synchronously
            role = target(function["Properties"]["Role"])
            granting = {policy for policy, (roles, queues) in grants.items() if role in roles and queue in queues}
            assert granting, f"{name}'s role {role} may not send to {queue}"
            assert granting & set(depends_on), f"{name} may be created before {granting}"
            checked += 1
    assert checked >= 8


def test_only_the_functions_that_give_up_into_a_failure_queue_may_send_to_it(merged_template: dict[str, Any]) -> None:
    functions = of_type(merged_template, *FUNCTION_TYPES)
    failures = failure_destinations(merged_template)
    for policy, (roles, queues) in send_grants(merged_template).items():
        for queue in queues & set(failures):
            senders = {target(functions[f]["Properties"]["Role"]) for f in failures[queue] if f in functions}
            assert roles <= senders, f"{policy} lets {roles - senders} send to {queue}"


def send_grants(template: dict[str, Any]) -> dict[str, tuple[set[str], set[str]]]:
    """The template's IAM policies that allow sqs:SendMessage: the roles they attach to and the queues."""
    grants = {}
    for name, policy in of_type(template, "AWS::IAM::Policy").items():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        queues = {
            target(resource) or ""
            for statement in statements
            if statement["Effect"] == "Allow" and "sqs:SendMessage" in json.dumps(statement["Action"])
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
        }
        if queues:
            grants[name] = ({target(role) or "" for role in policy["Properties"]["Roles"]}, queues)
    return grants


def test_every_function_logs_to_a_group_that_keeps_them_for_the_stacks_retention(
    merged_template: dict[str, Any],
) -> None:
    groups = {
        group["Properties"]["LogGroupName"]["Fn::Sub"]: group["Properties"]
        for group in of_type(merged_template, "AWS::Logs::LogGroup").values()
        if isinstance(group["Properties"]["LogGroupName"], dict)
    }
    for name in of_type(merged_template, *FUNCTION_TYPES):
        group = groups.get(f"/aws/lambda/${{{name}}}")  # the group Lambda writes to, named after the function
        assert group, f"{name} has no log group: Lambda would create one that keeps its logs forever"
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    assert merged_template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_every_table_survives_the_stack_and_can_be_restored_to_a_point_in_time(merged_template: dict[str, Any]) -> None:
    """No table holds only a cache: each is kept when the stack is deleted or the table replaced, and has
    point-in-time recovery (35 days of restores) against a bad write or a bad deploy."""
    tables = of_type(merged_template, "AWS::DynamoDB::Table")
    assert set(tables) == set(resources.tables()) and len(tables) >= 10
    for name, table in tables.items():
        assert (table.get("DeletionPolicy"), table.get("UpdateReplacePolicy")) == ("Retain", "Retain"), name
        recovery = table["Properties"].get("PointInTimeRecoverySpecification", {})
        assert recovery.get("PointInTimeRecoveryEnabled") is True, name


def test_every_alarm_notifies_the_alarm_topic_which_can_mail_an_operator(merged_template: dict[str, Any]) -> None:
    alarms = of_type(merged_template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 30
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name  # quiet when nothing happens
    assert merged_template["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    [subscription] = [
        s
        for s in of_type(merged_template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    ]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert (subscription["Properties"]["Protocol"], subscription["Properties"]["Endpoint"]) == (
        "email",
        {"Ref": "AlarmEmail"},
    )
    assert merged_template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert merged_template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


def test_ses_reputation_alarms_fire_at_the_rates_where_aws_reviews_the_account(merged_template: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in of_type(merged_template, "AWS::CloudWatch::Alarm").values()]
    thresholds = {
        a["MetricName"]: (a["Threshold"], a["ComparisonOperator"], a.get("Dimensions", []))
        for a in alarms
        if a["Namespace"] == "AWS/SES"
    }
    assert thresholds == {  # account-wide: SES publishes these without dimensions
        "Reputation.BounceRate": (0.05, "GreaterThanThreshold", []),
        "Reputation.ComplaintRate": (0.001, "GreaterThanThreshold", []),
    }


@pytest.fixture
def throttled_events_table(aws: None) -> Iterator[None]:
    """The events table refuses every write, as DynamoDB does when throttled once the SDK's retries are spent."""
    from botocore.awsrequest import AWSResponse

    def refuse(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if json.loads(params["body"])["TableName"] != resources.tables()["EventsTable"]["create"]["TableName"]:
            return None
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}
        return AWSResponse(params["url"], 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    events_ = chorus_aws.dynamodb().meta.events
    events_.register("before-call.dynamodb.PutItem", refuse)
    yield
    events_.unregister("before-call.dynamodb.PutItem", refuse)


def test_the_click_tracking_alarm_watches_exactly_the_metric_a_failed_click_write_publishes(
    merged_template: dict[str, Any],
    client: Any,
    world: World,
    throttled_events_table: None,
    capsys: pytest.CaptureFixture[str],
    metrics_on: None,
) -> None:
    location = client.http.get(signed_share_path(world.employee_id, world.content_id, "linkedin")).headers["Location"]
    code = short_code_from_intent(location)
    capsys.readouterr()
    assert client.http.get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302  # redirected all the same
    alarm = alarm_on_the_published(merged_template, "ClickTrackingErrors", capsys.readouterr().out)
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("Sum", "GreaterThanThreshold", 0)


def test_every_function_runs_on_arm64_from_an_artifact_whose_compiled_modules_are_all_arm64(
    package: Path, merged_template: dict[str, Any]
) -> None:
    """Graviton costs 20% less per GB-second. Chalice picks the wheels for .chalice/config.json's
    lambda_architecture: an x86_64 duckdb or pydantic-core in an arm64 function would fail at import."""
    for name, function in of_type(merged_template, *FUNCTION_TYPES).items():
        assert function["Properties"].get("Architectures") == ["arm64"], name
    machines = {}
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        for entry in archive.namelist():
            if ".so" in Path(entry).suffixes:
                header = archive.open(entry).read(20)
                assert header[:4] == b"\x7fELF", entry
                machines[entry] = int.from_bytes(header[18:20], "little")
    assert any(name.startswith("_duckdb") for name in machines) and any("pydantic_core" in n for n in machines)
    assert {name for name, machine in machines.items() if machine != EM_AARCH64} == set()


def test_every_method_of_the_api_is_throttled_by_the_stack_parameters(merged_template: dict[str, Any]) -> None:
    [settings] = merged_template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert settings == {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    parameters = merged_template["Parameters"]
    assert 0 < parameters["ApiThrottlingRateLimit"]["Default"] <= parameters["ApiThrottlingBurstLimit"]["Default"]


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys silently: two engineers' `RestAPI:` blocks would lose one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]
        duplicated = {key for key in keys if keys.count(key) > 1}
        if duplicated:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicated}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def test_the_template_names_no_key_twice() -> None:
    yaml.load(resources.TEMPLATE.read_text(), Loader=UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass


def test_the_local_stack_creates_the_templates_queues_and_tables_and_nothing_else(aws: None) -> None:
    """infra/resources.py reads the template too: it creates the queues and tables, the failure queues
    among them, and leaves alarms, log groups and policies (which moto would not run) alone."""
    sqs = boto3.client("sqs")
    created = {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]}
    assert created == set(resources.queues().values())
    assert {"chorus-dev-stream-failures", "chorus-dev-async-failures"} <= created
    tables = boto3.client("dynamodb").list_tables()["TableNames"]
    assert sorted(tables) == sorted(spec["create"]["TableName"] for spec in resources.tables().values())
    assert boto3.client("sns").list_topics()["Topics"] == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_the_api_server_errors_alarm_watches_the_metric_a_route_failing_with_a_500_publishes(
    merged_template: dict[str, Any],
    client: Any,
    world: World,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    metrics_on: None,
) -> None:
    """Chalice answers a route's exception with a 500 itself: neither Lambda's Errors metric nor the app's
    sees it, so the API counts every 5xx answer, and an alarm watches exactly that metric."""
    from functions.content.store import ContentStore

    assert client.http.get("/api/feed").status_code == 200
    assert not [d for d in emf_documents(capsys.readouterr().out) if "ServerErrors" in d]  # a 200 is no error

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug in the feed")

    monkeypatch.setattr(ContentStore, "feed_page", broken)
    assert client.http.get("/api/feed").status_code == 500
    alarm = alarm_on_the_published(merged_template, "ServerErrors", capsys.readouterr().out)
    assert [action["Ref"] for action in alarm["AlarmActions"]] == ["AlarmTopic"]


def alarm_on_the_published(template: dict[str, Any], metric: str, printed: str) -> dict[str, Any]:
    """The template's one alarm on ``metric``, checked to watch the namespace and dimensions of the metric the
    code published once (Powertools' EMF lines in ``printed``)."""
    [published] = [d for d in emf_documents(printed) if metric in d]
    [directive] = published["_aws"]["CloudWatchMetrics"]
    dimensions = [{"Name": name, "Value": published[name]} for name in directive["Dimensions"][0]]
    [alarm] = [
        a["Properties"]
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    ]
    assert (alarm["Namespace"], alarm["Dimensions"]) == (directive["Namespace"], dimensions)
    return alarm
