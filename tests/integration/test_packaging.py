"""The deployable artifact: what `chalice package` builds must import and render on its own."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.integration.conftest import chalice_package, references

# What the AWS Lambda Python runtime provides next to the code (everything else must be in the zip). Its
# urllib3 is left out on purpose: the runtime's may be 1.x, and the page fetcher needs the 2.x the zip ships.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "dateutil", "six.py")


@pytest.fixture(scope="module")
def host_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same artifact built for this machine's processor, to be imported here: the deployed one is arm64
    (.chalice/config.json), whose compiled wheels (duckdb, pydantic-core…) cannot load on x86_64."""
    project = tmp_path_factory.mktemp("host-project")
    for name in ("app.py", "requirements.txt", "functions", "site", "vendor", ".chalice"):
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("deployments", "__pycache__", "*.pyc")
            shutil.copytree(source, project / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, project / name)
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["lambda_architecture"] = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    return chalice_package(project, tmp_path_factory.mktemp("host-package"))


def run_in_artifact(package: Path, tmp_path: Path, probe: str) -> subprocess.CompletedProcess[str]:
    """Run ``probe`` in a clean interpreter that sees only the unzipped artifact (its path is ``sys.argv[1]``)
    and what the Lambda runtime provides: the artifact built for this machine's processor (``host_package``)."""
    code = tmp_path / "task"
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(code)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(__import__("boto3").__file__).parents[1]
    for name in LAMBDA_RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site_packages / name)
    isolate = (
        "import sys; sys.path[:] = [sys.argv[1], sys.argv[2]] + [p for p in sys.path if 'site-packages' not in p];"
    )
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", isolate + probe, str(code), str(runtime)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_artifact_imports_app_and_renders_a_template_in_a_clean_interpreter(
    package: Path, host_package: Path, tmp_path: Path
) -> None:
    with (
        zipfile.ZipFile(package / "deployment.zip") as deployed,
        zipfile.ZipFile(host_package / "deployment.zip") as here,
    ):
        assert python_files(deployed) == python_files(here)  # the same artifact, but for its compiled modules
    probe = (
        "import os; assert os.path.isfile(os.path.join(sys.argv[1], 'functions', 'links', 'redirect.py'));"
        "assert os.path.isfile(os.path.join(sys.argv[1], 'site', 'templates', 'error.html'));"
        "import app; from functions.pages import not_found_page; import jinja2, is_bot, cachetools, urllib3;"
        "import functions.web.fetch, urllib3.connection, duckdb;"
        "assert all('site-packages' not in m.__file__ for m in (app, jinja2, is_bot, urllib3, duckdb) if m.__file__);"
        "assert duckdb.connect().execute('SELECT 41 + 1').fetchone() == (42,);"
        "assert int(urllib3.__version__.split('.')[0]) >= 2, urllib3.__version__;"
        "print(app.app.app_name, 'Link not found' in not_found_page())"
    )
    result = run_in_artifact(host_package, tmp_path, probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["chorus", "True"]


def python_files(archive: zipfile.ZipFile) -> set[str]:
    return {name for name in archive.namelist() if name.endswith(".py")}


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


def test_the_front_door_in_the_artifact_imports_lean_and_its_compiled_modules_fit_its_architecture(
    package: Path, host_package: Path, merged_template: dict[str, Any], tmp_path: Path
) -> None:
    """The FrontDoor function runs the same deployment.zip: importing its handler there loads nothing heavy,
    and the compiled modules a click loads (the crawler patterns' regex) are built for its architecture (run
    in the artifact built for this machine; the deployed artifact's modules of the same names checked)."""
    function = merged_template["Resources"]["FrontDoor"]["Properties"]
    module, handler = function["Handler"].rsplit(".", 1)
    probe = (
        f"import importlib, json; m = importlib.import_module({module!r}); assert callable(getattr(m, {handler!r}));"
        "heavy = sorted(n for n in ('chalice', 'app', 'jinja2', 'pydantic', 'duckdb', 'css_inline')"
        " if n in sys.modules);"
        "from functions.clicks.visitor import classify_visitor; from functions import observability;"
        "kind = classify_visitor('GET', {}, 'Mozilla/5.0 (compatible; Googlebot/2.1)', None).kind;"
        "import cachetools; observability.logger(); observability.metrics();"
        "compiled = sorted(os.path.relpath(f.__file__, sys.argv[1]) for f in list(sys.modules.values())"
        " if getattr(f, '__file__', None) and f.__file__.startswith(sys.argv[1]) and f.__file__.endswith('.so'));"
        "print(json.dumps([heavy, kind, compiled]))"
    )
    result = run_in_artifact(host_package, tmp_path, "import os;" + probe)
    assert result.returncode == 0, result.stderr
    heavy, kind, compiled = json.loads(result.stdout)
    assert (heavy, kind) == ([], "bot")
    assert compiled, "no compiled module on the redirect path"
    [architecture] = function["Architectures"]
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[architecture]
    with zipfile.ZipFile(package / "deployment.zip") as deployed:
        shipped = deployed.namelist()
    for loaded in compiled:  # e.g. regex/_regex.cpython-311-x86_64-linux-gnu.so here
        folder, name = loaded.rsplit("/", 1)
        stem = name.split(".", 1)[0]
        [built] = [n for n in shipped if n.startswith(f"{folder}/{stem}.") and n.endswith(".so")]
        assert machine in built, f"{built} cannot load on {architecture}"


def test_the_short_links_front_door_is_cloudfront_then_a_function_url_on_the_short_domain(
    package: Path, merged_template: dict[str, Any]
) -> None:
    import re

    template = merged_template
    resources = template["Resources"]
    function = resources["FrontDoor"]
    assert function["Type"] == "AWS::Serverless::Function"
    properties = function["Properties"]
    assert (properties["CodeUri"], properties["FunctionUrlConfig"]["AuthType"]) == ("./deployment.zip", "NONE")
    assert (package / properties["CodeUri"]).is_file()  # resolved beside sam.yaml, as Chalice's functions are
    assert properties["CodeUri"] == resources["APIHandler"]["Properties"]["CodeUri"]

    config = resources["ShortLinkDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["DomainName"] == {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["FrontDoorUrl", "FunctionUrl"]}]}]
    }
    assert [h["HeaderName"] for h in origin["OriginCustomHeaders"]] == ["X-Chorus-Origin"]
    secret = "{{resolve:secretsmanager:${FrontDoorOriginSecret}}}"
    assert origin["OriginCustomHeaders"][0]["HeaderValue"] == {"Fn::Sub": secret}
    assert properties["Environment"]["Variables"]["FRONT_DOOR_ORIGIN_SECRET"] == {"Fn::Sub": secret}
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert {"GET", "HEAD", "POST"} <= set(behaviour["AllowedMethods"])  # other methods reach the 405
    policy = resources[behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
    forwarded = {h.lower() for h in policy["HeadersConfig"]["Headers"]}
    visitor = (ROOT / "functions" / "clicks" / "visitor.py").read_text()
    read = set(re.findall(r'(?:lowered|headers)\.get\("([a-z-]+)"', visitor))
    assert read >= {"user-agent", "accept-language", "referer", "cloudfront-viewer-country"}
    assert read | {"cloudfront-viewer-address"} <= forwarded and "host" not in forwarded
    assert policy["QueryStringsConfig"]["QueryStringBehavior"] == "all"

    # Without ShortDomainName the distribution's own address serves; with it, the domain and its certificate.
    assert template["Conditions"]["HasShortDomain"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ShortDomainName"}, ""]}]}
    assert {"ShortDomainName", "ShortCertificateArn"} <= set(template["Parameters"])
    assert "ShortBaseUrl" not in template["Parameters"]
    assert template["Parameters"]["ShortDomainName"]["Default"] == ""
    assert config["Aliases"]["Fn::If"][0] == config["ViewerCertificate"]["Fn::If"][0] == "HasShortDomain"
    assert config["ViewerCertificate"]["Fn::If"][1]["AcmCertificateArn"] == {"Ref": "ShortCertificateArn"}
    short_base_url = {
        "Fn::If": [
            "HasShortDomain",
            {"Fn::Sub": "https://${ShortDomainName}"},
            {"Fn::Sub": "https://${ShortLinkDistribution.DomainName}"},
        ]
    }
    assert template["Globals"]["Function"]["Environment"]["Variables"]["SHORT_BASE_URL"] == short_base_url
    assert template["Outputs"]["ShortBaseUrl"]["Value"] == short_base_url
    assert "ShortDomainNeedsItsCertificate" in template["Rules"]


def test_no_resource_of_the_merged_template_depends_on_itself(merged_template: dict[str, Any]) -> None:
    """Every function takes the Globals' environment, and SHORT_BASE_URL names the distribution in front
    of FrontDoor: FrontDoor must not take it (cfn-lint does not see the cycle)."""
    template = merged_template
    resources = template["Resources"]
    implicit = {f"{name}Url": name for name, r in resources.items() if "FunctionUrlConfig" in r.get("Properties", {})}

    def needs(name: str) -> set[str]:
        if name in implicit:
            return {implicit[name]}
        resource = resources.get(name, {})
        found = references(resource)
        if resource.get("Type") == "AWS::Serverless::Function":
            own = resource["Properties"].get("Environment", {}).get("Variables", {})
            inherited = template["Globals"]["Function"]["Environment"]["Variables"]
            found |= references({k: v for k, v in inherited.items() if k not in own})
        return {n for n in found if n in resources or n in implicit}

    for start in resources:
        seen, todo = set(), list(needs(start))
        while todo:
            name = todo.pop()
            assert name != start, f"{start} depends on itself"
            if name not in seen:
                seen.add(name)
                todo.extend(needs(name))


def test_each_function_runs_with_its_own_role_holding_only_its_own_policy(merged_template: dict[str, Any]) -> None:
    """`chalice package` turns config.json's iam_policy_file into one role per function (least privilege)."""
    from chalice.utils import to_cfn_resource_name

    import app
    from infra.iam import allows
    from tests.integration.test_lambda_policy import policy_for

    resources = merged_template["Resources"]
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
