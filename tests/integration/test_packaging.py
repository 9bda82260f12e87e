"""The deployable artifact: what `chalice package` builds must import and render on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What the AWS Lambda Python runtime provides next to the code (everything else must be in the zip). Its
# urllib3 is left out on purpose: the runtime's may be 1.x, and the page fetcher needs the 2.x the zip ships.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "six.py")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--merge-template",
            "infra/template.yaml",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def test_the_artifact_imports_app_and_renders_a_template_in_a_clean_interpreter(package: Path, tmp_path: Path) -> None:
    code = tmp_path / "task"
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(code)
    assert (code / "functions" / "links" / "redirect.py").is_file()
    assert (code / "site" / "templates" / "error.html").is_file()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(__import__("boto3").__file__).parents[1]
    for name in LAMBDA_RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site_packages / name)
    probe = (
        "import sys; sys.path[:] = [sys.argv[1], sys.argv[2]] + [p for p in sys.path if 'site-packages' not in p];"
        "import app; from functions.pages import not_found_page; import jinja2, is_bot, cachetools, urllib3;"
        "import functions.web.fetch, urllib3.connection, duckdb;"
        "assert all('site-packages' not in m.__file__ for m in (app, jinja2, is_bot, urllib3, duckdb) if m.__file__);"
        "assert duckdb.connect().execute('SELECT 41 + 1').fetchone() == (42,);"
        "assert int(urllib3.__version__.split('.')[0]) >= 2, urllib3.__version__;"
        "print(app.app.app_name, 'Link not found' in not_found_page())"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(code), str(runtime)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["chorus", "True"]


def test_the_artifact_fits_lambda_and_carries_duckdb_for_the_kpis(package: Path) -> None:
    """Lambda takes at most 250 MB unzipped (code and layers); DuckDB's wheel is about 61 MB of it."""
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        entries = archive.infolist()
    assert sum(entry.file_size for entry in entries) < 250 * 1024 * 1024
    assert any(entry.filename.startswith("duckdb/") for entry in entries)
    assert any(entry.filename.startswith("functions/kpis/sql/") for entry in entries)


def test_the_merged_template_passes_cfn_lint(package: Path) -> None:
    template = package / "sam.yaml"
    text = template.read_text()
    assert "ReportBatchItemFailures" in text and "EventsTable" in text
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(template)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_counting_run_is_one_schedule_at_a_time_and_the_stream_handlers_read_the_real_streams(
    package: Path,
) -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((package / "sam.yaml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    counting = template["Resources"]["CountEvents"]["Properties"]
    [source] = counting["Events"].values()
    assert source["Type"] == "Schedule" and source["Properties"]["Schedule"] == "cron(1/5 * * * ? *)"
    assert counting["ReservedConcurrentExecutions"] == 1
    assert "StreamSpecification" not in template["Resources"]["EventsTable"]["Properties"]  # nobody reads one
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["EVENTS_TABLE"] == {"Ref": "EventsTable"} and variables["DATA_BUCKET"] == {"Ref": "DataBucket"}
    data = template["Resources"]["DataBucket"]["Properties"]
    assert all(data["PublicAccessBlockConfiguration"].values()) and "BucketEncryption" in data
    # facts/ and events-parquet/ (the KPIs' history) are kept; Athena's results expire
    assert {rule["Prefix"] for rule in data["LifecycleConfiguration"]["Rules"]} == {
        "state/",
        "events/",
        "athena-results/",
    }
    for function, table in (("RebuildSite", "ContentTable"), ("RebuildSiteForDirectory", "EmployeesTable")):
        resource = template["Resources"][function]
        assert (
            resource["Type"] == "AWS::Serverless::Function"
            and resource["Properties"]["ReservedConcurrentExecutions"] == 1
        )
        [source] = resource["Properties"]["Events"].values()
        assert source["Properties"]["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}


def test_the_feed_worker_takes_one_feed_per_call_and_reports_failed_messages(package: Path) -> None:
    import yaml

    template = yaml.load((package / "sam.yaml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506 - no objects
    source = template["Resources"]["PullFeed"]["Properties"]["Events"]["PullFeedSqsEventSource"]["Properties"]
    assert (source["BatchSize"], source["FunctionResponseTypes"]) == ("1", ["ReportBatchItemFailures"])


def test_the_click_backlog_worker_reports_failed_messages_and_its_queue_waits_out_its_timeout(package: Path) -> None:
    import yaml

    template = yaml.load((package / "sam.yaml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506 - no objects
    function = template["Resources"]["WriteBacklogClicks"]["Properties"]
    source = function["Events"]["WriteBacklogClicksSqsEventSource"]["Properties"]
    assert (source["BatchSize"], source["FunctionResponseTypes"]) == ("10", ["ReportBatchItemFailures"])
    queue = template["Resources"]["ClickBacklogQueue"]["Properties"]
    assert int(queue["VisibilityTimeout"]) >= 6 * int(function["Timeout"])  # what Lambda's SQS event source asks
    assert (queue["RedrivePolicy"]["maxReceiveCount"], queue["MessageRetentionPeriod"]) == ("5", "1209600")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CLICK_BACKLOG_QUEUE_NAME"] == {"Fn::GetAtt": ["ClickBacklogQueue", "QueueName"]}


def test_every_other_method_of_every_path_reaches_the_app_and_unknown_paths_are_a_json_404(package: Path) -> None:
    """Deployed as locally: API Gateway sends a method a route does not take to the app (405 with Allow),
    and answers an unknown path or an oversized body in the API's error shape, not with a 403."""
    import json

    import yaml

    import app

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((package / "sam.yaml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert set(paths) == set(app.app.routes)
    for path, methods in paths.items():
        integration = methods.get("x-amazon-apigateway-any-method", {}).get("x-amazon-apigateway-integration", {})
        assert integration.get("type") == "aws_proxy", f"{path}: other methods do not reach the app"
        assert "${APIHandler.Arn}" in integration["uri"]["Fn::Sub"]
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::ApiGateway::GatewayResponse"
    }
    unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown["StatusCode"] == "404"
    assert json.loads(unknown["ResponseTemplates"]["application/json"])["fields"] == {
        "path": "is not an endpoint of this API"
    }
    assert responses["REQUEST_TOO_LARGE"]["StatusCode"] == "413"


def test_each_function_runs_with_its_own_role_holding_only_its_own_policy(package: Path) -> None:
    """`chalice package` turns config.json's iam_policy_file into one role per function (least privilege)."""
    import json

    import yaml
    from chalice.utils import to_cfn_resource_name

    import app
    from infra.iam import allows
    from tests.integration.test_lambda_policy import policy_for

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    resources = yaml.load((package / "sam.yaml").read_text(), Loader=Loader)["Resources"]  # noqa: S506 - SafeLoader subclass
    functions = {"api_handler": "APIHandler"} | {
        source.name: to_cfn_resource_name(source.name) for source in app.app.event_sources
    }
    roles = {}
    for function, logical_id in functions.items():
        [role, attribute] = resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"]
        assert attribute == "Arn" and resources[role]["Type"] == "AWS::IAM::Role"
        [policy] = resources[role]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == policy_for(function), f"{function} runs with another policy than its own"
        assert not resources[role]["Properties"].get("ManagedPolicyArns"), f"{function}'s role holds more"
        roles[function] = role
    assert len(set(roles.values())) == len(roles), f"functions share a role: {roles}"
    identity = "arn:aws:ses:us-east-1:000000000000:identity/example.com"
    deployed = {
        function: resources[role]["Properties"]["Policies"][0]["PolicyDocument"] for function, role in roles.items()
    }
    assert [f for f, policy in deployed.items() if allows(policy, "ses:SendRawEmail", identity)] == ["send_digests"]
    # every role the template gives a function is one function's: no shared or left-over role
    used = [
        json.dumps(resource["Properties"].get("Role"))
        for resource in resources.values()
        if resource.get("Type") == "AWS::Serverless::Function" and "Role" in resource.get("Properties", {})
    ]
    assert len(used) == len(set(used)), "two functions of the template run with the same role"
