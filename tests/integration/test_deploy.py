"""`make deploy` / `make destroy` (infra/deploy.py) against moto's AWS, with the real merged template."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.cloudformation.models import ChangeSet

from tests.conftest import ROOT
from tests.integration.conftest import references

_moto_apply = ChangeSet.apply

REGION = "eu-west-1"
# Resource types moto's CloudFormation cannot create (it skips them with a warning): filtered out of the
# template below, so these are the ones these tests do NOT exercise. cfn-lint checks them
# (test_packaging.py); a test below checks that moto indeed lacks each.
NOT_IN_MOTO = (
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::Athena::WorkGroup",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::OriginRequestPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::S3::BucketPolicy",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::SES::EmailIdentity",
    "AWS::SES::ReceiptRule",
    "AWS::SES::ReceiptRuleSet",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SecretsManager::Secret",
)
STAGE_FILE = """
region = "eu-west-1"
artifacts_bucket = "acme-chorus-artifacts"

[parameters]
PublicBaseUrl = "https://chorus.example.com"
ShortDomainName = "go.example.com"
ShortCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-0000-4000-8000-000000000000"
SiteDomainName = "share.example.com"
SiteCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000000"
MailFrom = "Chorus <chorus@mail.example.com>"
UnsubscribeAddress = "unsubscribe@mail.example.com"
InboundUnsubscribe = true
DigestHour = {hour}
"""


MAIL = 'MailFrom = "chorus@example.com"'


def deployable_in_moto(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The template without the NOT_IN_MOTO resources and what refers to them; the logical ids left out."""
    resources = template["Resources"]
    skipped = {logical for logical, resource in resources.items() if resource["Type"] in NOT_IN_MOTO}
    while True:  # a Lambda permission naming a (skipped) function, and so on
        more = {
            logical
            for logical, resource in resources.items()
            if logical not in skipped and references(resource) & skipped
        }
        if not more:
            break
        skipped |= more
    kept = {logical: resource for logical, resource in resources.items() if logical not in skipped}
    outputs = {key: output for key, output in template.get("Outputs", {}).items() if not references(output) & skipped}
    return {**template, "Resources": kept, "Outputs": outputs}, skipped


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setattr(ChangeSet, "apply", _apply_with_outputs)
    with mock_aws():
        import boto3

        yield boto3.Session(region_name=REGION)


def _apply_with_outputs(change_set: Any) -> None:
    """moto 5.2.5 reads a stack's outputs from the template it was created with, which for a change set's
    stack is empty, and never again: CloudFormation has the executed template's outputs, so do as it does."""
    _moto_apply(change_set)
    stack = change_set.stack
    stack.template = change_set.template
    stack._parse_template()
    stack.output_map = stack._create_output_map()


@pytest.fixture
def moto_package(package: Path) -> Any:
    """A packager handing the deploy the session's real `chalice package` output, minus what moto cannot make."""
    import yaml

    def packager(out: Path) -> Path:
        template, _ = deployable_in_moto(yaml.safe_load((package / "sam.yaml").read_text()))
        (out / "sam.yaml").write_text(yaml.safe_dump(template))
        shutil.copy(package / "deployment.zip", out / "deployment.zip")
        return out

    return packager


def stage_file(tmp_path: Path, hour: int = 8) -> Path:
    path = tmp_path / "prod.toml"
    path.write_text(STAGE_FILE.format(hour=hour))
    return path


def record_calls(session: Any) -> list[str]:
    calls: list[str] = []
    session.events.register(
        "before-call", lambda model, **_: calls.append(f"{model.service_model.service_name}:{model.name}")
    )
    return calls


def without_aws(tmp_path: Path, command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``command`` run in the project with no AWS credentials anywhere it could find some."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    clean.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        **env,
    )
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


PYTHON = str(ROOT / ".venv" / "bin" / "python")


def test_without_credentials_make_deploy_says_so_at_once_and_exits_2(tmp_path: Path) -> None:
    result = without_aws(tmp_path, ["make", "--no-print-directory", "deploy", "STAGE=prod"])
    assert result.returncode != 0 and "no AWS credentials found" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Packaging" not in result.stdout  # nothing else was tried
    direct = without_aws(tmp_path, [PYTHON, "-m", "infra.deploy", "deploy", "--stage", "prod"])
    assert direct.returncode == 2 and "no AWS credentials found" in direct.stderr


def test_deploy_creates_the_secret_first_then_the_stack_from_the_packaged_template_and_updates_it_next_time(
    moto_account: Any, moto_package: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.deploy import main

    calls = record_calls(moto_account)
    assert (
        main(["deploy", "--stage", "prod", "--stage-file", str(stage_file(tmp_path))], moto_account, moto_package) == 0
    )
    printed = capsys.readouterr().out

    ssm = moto_account.client("ssm")
    secret = ssm.get_parameter(Name="/chorus/prod/secret", WithDecryption=True)["Parameter"]
    assert calls.index("ssm:PutParameter") < min(
        i for i, call in enumerate(calls) if call.startswith("cloudformation:")
    )
    assert calls.index("sts:GetCallerIdentity") == 0
    cfn = moto_account.client("cloudformation")
    [stack] = cfn.describe_stacks(StackName="chorus-prod")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert (parameters["Stage"], parameters["SiteDomainName"], parameters["DigestHour"]) == (
        "prod",
        "share.example.com",
        "8",
    )
    # the stack's resources are the stage's: its tables, created by CloudFormation from the uploaded template
    assert "chorus-prod-links" in moto_account.client("dynamodb").list_tables()["TableNames"]
    uploaded = moto_account.client("s3").list_objects_v2(Bucket="acme-chorus-artifacts")["Contents"]
    assert {obj["Key"].rsplit(".", 1)[-1] for obj in uploaded} == {"zip", "json"}
    # the outputs, printed
    values = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert values["MailDomain"] == "mail.example.com"
    assert f"SiteBucketName: {values['SiteBucketName']}" in printed and "chorus-prod-site-" in printed
    assert "MailDomain: mail.example.com" in printed
    assert "PublicBaseUrl: https://chorus.example.com" in printed  # (moto leaves out ShortBaseUrl: it names the
    # short-link distribution, which moto's CloudFormation cannot create; test_packaging checks that output)

    # a second deploy (another digest hour) updates the same stack, and keeps the secret
    calls.clear()
    assert (
        main(
            ["deploy", "--stage", "prod", "--stage-file", str(stage_file(tmp_path, hour=9))], moto_account, moto_package
        )
        == 0
    )
    [stack] = cfn.describe_stacks(StackName="chorus-prod")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["DigestHour"] == "9"
    assert "ssm:PutParameter" in calls  # tried, refused as existing: the value is unchanged
    assert ssm.get_parameter(Name="/chorus/prod/secret", WithDecryption=True)["Parameter"]["Value"] == secret["Value"]
    assert "Updating chorus-prod" in capsys.readouterr().out


def test_destroy_deletes_the_stack_and_names_what_it_keeps_and_how_to_delete_it(
    moto_account: Any, moto_package: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.deploy import main

    path = str(stage_file(tmp_path))
    assert main(["deploy", "--stage", "prod", "--stage-file", path], moto_account, moto_package) == 0
    capsys.readouterr()
    assert main(["destroy", "--stage", "prod", "--stage-file", path, "--yes"], moto_account) == 0
    printed = capsys.readouterr().out

    cfn = moto_account.client("cloudformation")
    deleted = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "chorus-prod"]
    assert deleted and all(s["StackStatus"] == "DELETE_COMPLETE" for s in deleted)
    for table in ("links", "events", "aggregates", "content", "employees", "polls", "admin_tokens", "digests"):
        assert f"aws dynamodb delete-table --table-name chorus-prod-{table}\n" in printed  # every table is kept
    assert "aws s3 rb s3://chorus-prod-site-123456789012 --force" in printed
    assert "aws s3 rb s3://chorus-prod-data-123456789012 --force" in printed
    assert "aws ssm delete-parameter --name /chorus/prod/secret" in printed
    # what it says is kept is kept
    assert "chorus-prod-links" in moto_account.client("dynamodb").list_tables()["TableNames"]


def test_destroy_of_a_stage_never_deployed_says_so(
    moto_account: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.deploy import main

    assert main(["destroy", "--stage", "prod", "--stage-file", str(stage_file(tmp_path)), "--yes"], moto_account) == 1
    assert "no stack chorus-prod in eu-west-1" in capsys.readouterr().err


def test_the_merged_template_resources_deploy_into_moto_cloudformation(moto_account: Any, package: Path) -> None:
    import yaml
    from moto.cloudformation.parsing import get_model_map

    from infra.artifact import for_stage

    merged = for_stage(yaml.safe_load((package / "sam.yaml").read_text()), "prod")
    template, skipped = deployable_in_moto(merged)
    cfn = moto_account.client("cloudformation")
    cfn.create_stack(
        StackName="chorus-prod",
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in {
                "Stage": "prod",
                "PublicBaseUrl": "https://chorus.example.com",
                "MailFrom": "Chorus <chorus@mail.example.com>",
            }.items()
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    resources = cfn.list_stack_resources(StackName="chorus-prod")["StackResourceSummaries"]
    created = {r["LogicalResourceId"] for r in resources if r["ResourceStatus"] == "CREATE_COMPLETE"}
    assert created == set(template["Resources"])
    # what is left out is only what moto lacks, and what names it (the API's Lambda permission, the functions'
    # log groups)
    model_map = get_model_map()
    assert not [kind for kind in NOT_IN_MOTO if kind in model_map], "moto creates these now: exercise them"
    dependents = {logical for logical in skipped if merged["Resources"][logical]["Type"] not in NOT_IN_MOTO}
    assert {merged["Resources"][logical]["Type"] for logical in dependents} <= {
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
    }
    # every table, queue, bucket, topic and role of the template is among what was created
    kinds = {merged["Resources"][logical]["Type"] for logical in created}
    assert {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::IAM::Role"} <= kinds
    tables = moto_account.client("dynamodb")
    for logical, resource in merged["Resources"].items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            name = f"chorus-prod-{resource['Properties']['TableName']['Fn::Sub'].split('${Stage}-')[1]}"
            table = tables.describe_table(TableName=name)["Table"]
            assert table["KeySchema"] == resource["Properties"]["KeySchema"], logical
            assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == {
                i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])
            }, logical
    sqs = moto_account.client("sqs")
    url = sqs.get_queue_url(QueueName="chorus-prod-digests")["QueueUrl"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    )
    assert redrive["deadLetterTargetArn"].endswith(":chorus-prod-digests-dead")


def test_every_stage_gets_its_own_tables_topics_secret_and_stage_in_chalices_part_of_the_template(
    package: Path,
) -> None:
    """Chalice packages the code's one stage (dev): its policies, SNS subscriptions and CHORUS_STAGE must name
    the deployed stage's resources, or prod's functions would be denied prod's tables and miss its topics."""
    import yaml

    from infra.artifact import for_stage

    original = (package / "sam.yaml").read_text()
    assert "chorus-dev-" in original  # what chalice writes
    staged = json.dumps(for_stage(yaml.safe_load(original), "prod", "Acme News <news@acme.example>"))
    assert "chorus-dev" not in staged and "/chorus/dev/" not in staged
    # the digest sender may send as the stage's MailFrom, and no longer as the code's default
    assert '"arn:*:ses:*:*:identity/acme.example"' in staged and "identity/news@acme.example" in staged
    assert "identity/example.com" not in staged and "identity/chorus@example.com" not in staged
    template = json.loads(staged)
    functions = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    stages = {f["Properties"]["Environment"]["Variables"].get("CHORUS_STAGE") for f in functions.values()}
    assert stages <= {"prod", None}  # chalice's name it; the front door takes the Globals' (the Stage parameter)
    assert template["Globals"]["Function"]["Environment"]["Variables"]["CHORUS_STAGE"] == {"Ref": "Stage"}
    topics = {
        event["Properties"]["Topic"]["Fn::Sub"].rsplit(":", 1)[1]
        for function in functions.values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SNS"
    }
    assert topics == {"chorus-prod-mail-feedback", "chorus-prod-unsubscribe-mail"}
    policies = json.dumps(
        [r["Properties"]["Policies"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    )
    assert "table/chorus-prod-*" in policies or "table/chorus-prod-links" in policies
    assert "parameter/chorus/prod/" in policies


def test_the_upload_points_every_function_at_the_uploaded_zip(moto_account: Any, package: Path) -> None:
    import yaml

    from infra.artifact import ensure_bucket, read_template, upload

    s3 = moto_account.client("s3")
    ensure_bucket(s3, "acme-chorus-artifacts", REGION)
    url = upload(s3, "acme-chorus-artifacts", REGION, "prod", package, read_template(package))
    assert url.startswith(f"https://acme-chorus-artifacts.s3.{REGION}.amazonaws.com/chorus/prod/")
    uploaded = yaml.safe_load(
        s3.get_object(Bucket="acme-chorus-artifacts", Key=url.split(".com/", 1)[1])["Body"].read()
    )
    uris = {
        r["Properties"]["CodeUri"] for r in uploaded["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    }
    [uri] = uris
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == (package / "deployment.zip").read_bytes()
    blocks = s3.get_public_access_block(Bucket="acme-chorus-artifacts")["PublicAccessBlockConfiguration"]
    assert all(blocks.values())


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (f'{MAIL}\nSiteDomain = "x.example.com"', "SiteDomain not a template parameter"),
        ('PublicBaseUrl = "https://chorus.example.com"', "set MailFrom under [parameters]"),
        (f'{MAIL}\nSiteDomainName = "share.example.com"', "SiteDomainName needs SiteCertificateArn"),
        (f'{MAIL}\nStage = "dev"', "Stage is not a parameter to set"),
    ],
)
def test_a_stage_file_mistake_is_named_before_any_aws_call(
    moto_account: Any,
    moto_package: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    parameters: str,
    message: str,
) -> None:
    from infra.deploy import main

    path = tmp_path / "prod.toml"
    path.write_text(f'region = "{REGION}"\n[parameters]\n{parameters}\n')
    calls = record_calls(moto_account)
    assert main(["deploy", "--stage", "prod", "--stage-file", str(path)], moto_account, moto_package) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert calls == []  # no secret, no upload, no stack: nothing to undo


def test_a_missing_stage_file_or_a_bad_stage_name_is_said_plainly(tmp_path: Path) -> None:
    from infra.stage_file import SetupError, load_stage

    with pytest.raises(SetupError, match=r"copy infra/stages/example\.toml"):
        load_stage("prod", tmp_path / "prod.toml")
    with pytest.raises(SetupError, match="lowercase letters"):
        load_stage("Prod_1")
    example = load_stage("example")  # the committed example is a valid stage file
    assert example.parameters["InboundUnsubscribe"] == "false" and example.parameters["DigestHour"] == "8"


def test_without_public_base_url_the_first_deploy_points_it_at_the_new_api(
    moto_account: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in for the API (moto has no API Gateway in CloudFormation): an output named as chalice's."""
    from infra.deploy import main
    from infra.stage_file import PENDING_API_URL

    template = {
        "Parameters": {name: {"Type": "String"} for name in ("Stage", "PublicBaseUrl", "MailFrom")},
        "Resources": {
            "Api": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "chorus-${Stage}-api"}}}
        },
        "Outputs": {
            "EndpointURL": {"Value": {"Fn::Sub": "https://${Api.QueueName}.execute-api.example/api/"}},
            "ApiUrlInUse": {"Value": {"Ref": "PublicBaseUrl"}},
        },
    }

    def packager(out: Path) -> Path:
        (out / "sam.yaml").write_text(json.dumps(template))
        (out / "deployment.zip").write_bytes(b"PK\x05\x06" + bytes(18))
        return out

    path = tmp_path / "prod.toml"
    path.write_text(f'region = "{REGION}"\n[parameters]\n{MAIL}\n')
    assert main(["deploy", "--stage", "prod", "--stage-file", str(path)], moto_account, packager) == 0
    [stack] = moto_account.client("cloudformation").describe_stacks(StackName="chorus-prod")["Stacks"]
    values = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert values["ApiUrlInUse"] == values["EndpointURL"] == "https://chorus-prod-api.execute-api.example/api/"
    assert PENDING_API_URL not in capsys.readouterr().out.split("The stack:")[1]


def test_the_inbound_rule_set_is_activated_only_where_it_replaces_nothing(moto_account: Any) -> None:
    from infra.deploy import activate_inbound_rule_set

    ses = moto_account.client("ses")
    ses.create_receipt_rule_set(RuleSetName="chorus-prod-inbound")
    assert "Activated" in activate_inbound_rule_set(ses, "chorus-prod-inbound")
    assert ses.describe_active_receipt_rule_set()["Metadata"]["Name"] == "chorus-prod-inbound"
    ses.create_receipt_rule_set(RuleSetName="company-mail")
    ses.set_active_receipt_rule_set(RuleSetName="company-mail")
    message = activate_inbound_rule_set(ses, "chorus-prod-inbound")
    assert "Left the account's active SES receipt rule set company-mail alone" in message
    assert ses.describe_active_receipt_rule_set()["Metadata"]["Name"] == "company-mail"


def test_the_printed_outputs_say_which_dns_records_to_add() -> None:
    from infra.deploy import describe

    printed = describe(
        {
            "SiteUrl": "https://share.example.com",
            "SiteDistributionDomain": "d111.cloudfront.net",
            "MailDomain": "example.com",
            "DkimRecord1": "a._domainkey.example.com CNAME a.dkim.amazonses.com",
            "DkimRecord2": "b._domainkey.example.com CNAME b.dkim.amazonses.com",
            "DkimRecord3": "c._domainkey.example.com CNAME c.dkim.amazonses.com",
        }
    )
    assert "The site: https://share.example.com" in printed
    assert "CNAME (or alias) to d111.cloudfront.net" in printed
    assert "these records for example.com" in printed
    assert "  c._domainkey.example.com CNAME c.dkim.amazonses.com" in printed


def test_a_profile_that_does_not_exist_is_a_clear_message_too(tmp_path: Path) -> None:
    result = without_aws(tmp_path, [PYTHON, "-m", "infra.deploy", "destroy", "--stage", "prod"], AWS_PROFILE="nosuch")
    assert result.returncode == 2 and "no AWS credentials found" in result.stderr and "nosuch" in result.stderr
    assert "Traceback" not in result.stderr


def stubbed_cloudformation() -> tuple[Any, Any]:
    """CloudFormation's answers in the cases moto cannot reach (no changes; a failed first create)."""
    import boto3
    from botocore.stub import Stubber

    cfn = boto3.client("cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return cfn, Stubber(cfn)


def test_a_deploy_with_nothing_to_change_says_so_and_leaves_no_change_set() -> None:
    from botocore.stub import ANY

    from infra.stack import apply_change_set

    cfn, stub = stubbed_cloudformation()
    stub.add_response("describe_stacks", {"Stacks": [stack_summary("UPDATE_COMPLETE")]}, {"StackName": "chorus-prod"})
    stub.add_response("create_change_set", {"Id": "arn:cs"}, change_set_request(ANY))
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    failed = {"Status": "FAILED", "StatusReason": reason, "ChangeSetName": "x", "StackName": "chorus-prod"}
    stub.add_response("describe_change_set", failed, {"StackName": "chorus-prod", "ChangeSetName": ANY})
    stub.add_response("describe_change_set", failed, {"StackName": "chorus-prod", "ChangeSetName": ANY})
    stub.add_response("delete_change_set", {}, {"StackName": "chorus-prod", "ChangeSetName": ANY})
    with stub:
        assert (
            apply_change_set(cfn, "chorus-prod", "https://b.s3.eu-west-1.amazonaws.com/t.json", {"Stage": "prod"})
            is False
        )
    stub.assert_no_pending_responses()


def test_after_a_failed_first_deploy_the_kept_tables_are_named_with_how_to_delete_them() -> None:
    """CloudFormation keeps DeletionPolicy: Retain resources even when rolling back a create: their names would
    collide with the next create's, so the deploy stops and says which to delete."""

    from infra.stack import apply_change_set
    from infra.stage_file import DeployError

    cfn, stub = stubbed_cloudformation()
    stub.add_response("describe_stacks", {"Stacks": [stack_summary("ROLLBACK_COMPLETE")]}, {"StackName": "chorus-prod"})
    body = {"Resources": {"LinksTable": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain"}}}
    stub.add_response(
        "get_template", {"TemplateBody": json.dumps(body)}, {"StackName": "chorus-prod", "TemplateStage": "Original"}
    )
    resource = {
        "LogicalResourceId": "LinksTable",
        "PhysicalResourceId": "chorus-prod-links",
        "ResourceType": "AWS::DynamoDB::Table",
        "LastUpdatedTimestamp": "2026-11-30T10:00:00Z",
        "ResourceStatus": "DELETE_SKIPPED",
    }
    stub.add_response("list_stack_resources", {"StackResourceSummaries": [resource]}, {"StackName": "chorus-prod"})
    stub.add_response("delete_stack", {}, {"StackName": "chorus-prod"})
    stub.add_client_error(  # deleted
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id chorus-prod does not exist",
    )
    with stub, pytest.raises(DeployError) as raised:
        apply_change_set(cfn, "chorus-prod", "https://b.s3.eu-west-1.amazonaws.com/t.json", {"Stage": "prod"})
    assert "aws dynamodb delete-table --table-name chorus-prod-links" in str(raised.value)
    stub.assert_no_pending_responses()


def stack_summary(status: str) -> dict[str, Any]:
    return {"StackName": "chorus-prod", "StackStatus": status, "CreationTime": "2026-11-30T10:00:00Z"}


def change_set_request(any_value: Any) -> dict[str, Any]:
    return {
        "StackName": "chorus-prod",
        "ChangeSetName": any_value,
        "ChangeSetType": "UPDATE",
        "TemplateURL": "https://b.s3.eu-west-1.amazonaws.com/t.json",
        "Parameters": [{"ParameterKey": "Stage", "ParameterValue": "prod"}],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        "Tags": [{"Key": "chorus:stage", "Value": "prod"}],
    }


def test_the_template_takes_the_domains_and_mail_settings_as_parameters(package: Path) -> None:
    import yaml

    template = yaml.safe_load((package / "sam.yaml").read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MAIL_FROM"] == {"Ref": "MailFrom"} and "Default" not in template["Parameters"]["MailFrom"]
    assert variables["UNSUBSCRIBE_ADDRESS"] == {"Ref": "UnsubscribeAddress"}
    assert variables["INBOUND_UNSUBSCRIBE"] == {"Ref": "InboundUnsubscribe"}
    assert variables["SITE_BASE_URL"]["Fn::If"][:2] == ["HasSiteDomain", {"Fn::Sub": "https://${SiteDomainName}"}]
    site = template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert site["Aliases"]["Fn::If"][:2] == ["HasSiteDomain", [{"Ref": "SiteDomainName"}]]
    assert site["ViewerCertificate"]["Fn::If"][1]["AcmCertificateArn"] == {"Ref": "SiteCertificateArn"}
    # the receipt rule set replaces an account's active one: only on request
    for logical in ("InboundRuleSet", "UnsubscribeReceiptRule"):
        assert template["Resources"][logical]["Condition"] == "ReadsUnsubscribeMail"
    assert template["Parameters"]["InboundUnsubscribe"]["Default"] == "false"
    identity = template["Resources"]["MailIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity" and identity["Condition"] == "CreatesMailIdentity"
    for n in (1, 2, 3):
        assert f"${{MailIdentity.DkimDNSTokenValue{n}}}" in template["Outputs"][f"DkimRecord{n}"]["Value"]["Fn::Sub"]


def test_destroy_first_deactivates_the_stacks_active_rule_set_and_only_that(moto_account: Any) -> None:
    """SES will not delete the active receipt rule set, so the stack's would block its deletion."""
    from infra.deploy import deactivate_inbound_rule_set

    ses = moto_account.client("ses")
    for name in ("chorus-prod-inbound", "company-mail"):
        ses.create_receipt_rule_set(RuleSetName=name)
    ses.set_active_receipt_rule_set(RuleSetName="company-mail")
    assert "nothing to deactivate" in deactivate_inbound_rule_set(ses, "chorus-prod-inbound")
    assert ses.describe_active_receipt_rule_set()["Metadata"]["Name"] == "company-mail"
    ses.set_active_receipt_rule_set(RuleSetName="chorus-prod-inbound")
    assert "Deactivated" in deactivate_inbound_rule_set(ses, "chorus-prod-inbound")
    assert "Metadata" not in ses.describe_active_receipt_rule_set()
