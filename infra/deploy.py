"""`make deploy STAGE=…` and `make destroy STAGE=…`: Chorus into an AWS account in one command.

python -m infra.deploy deploy  --stage prod [--stage-file infra/stages/prod.toml]
python -m infra.deploy destroy --stage prod [--yes]

Deploy, in this order: AWS credentials are checked (none: a message and exit status 2, before anything
else); the stage file is read (infra/stages/<stage>.toml, see example.toml); the signing secret is created
in SSM if missing, since every function reads it; `chalice package --merge-template infra/template.yaml`
builds the template and the zip; the zip and the template go to the artifacts bucket (what `aws
cloudformation package` does: each function's local CodeUri becomes the zip's s3:// address); a change set
creates or updates the stack `chorus-<stage>` and is waited for; the outputs are printed (site URL, API URL,
DKIM records). Destroy deletes the stack and names what it keeps (DeletionPolicy: Retain) and how to delete
each for good.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGES = Path(__file__).with_name("stages")
STAGE_NAME = re.compile(r"[a-z0-9-]{1,20}")  # the template's Stage AllowedPattern
CODE_STAGE = "dev"  # the Chalice stage of .chalice/config.json whose settings and policies every stage deploys
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles per function; the SAM transform
PENDING_API_URL = "https://api-url-pending.invalid"  # PublicBaseUrl until the stack's API exists (first deploy)
WAIT = {"Delay": 10, "MaxAttempts": 360}  # an hour: a new CloudFront distribution alone takes minutes
SETUP_FAILED = 2  # no credentials, no stage file: nothing was touched
# How to delete what a deleted stack keeps, by resource type ({} is the physical id).
DELETE_FOR_GOOD = {
    "AWS::DynamoDB::Table": "aws dynamodb delete-table --table-name {}",
    "AWS::S3::Bucket": "aws s3 rb s3://{} --force",
}

Packager = Callable[[Path], Path]


class DeployError(Exception):
    """A reason to stop, said to the operator as it is (no traceback)."""

    exit_status = 1


class SetupError(DeployError):
    exit_status = SETUP_FAILED


@dataclass(frozen=True)
class StageConfig:
    stage: str
    region: str
    artifacts_bucket: str | None
    parameters: dict[str, str]

    @property
    def stack_name(self) -> str:
        return f"chorus-{self.stage}"


def load_stage(stage: str, path: Path | None = None) -> StageConfig:
    if not STAGE_NAME.fullmatch(stage):
        raise SetupError(f"STAGE={stage!r}: use 1 to 20 lowercase letters, digits or dashes (e.g. prod)")
    path = path or STAGES / f"{stage}.toml"
    if not path.is_file():
        raise SetupError(f"no stage file {path}: copy infra/stages/example.toml to it and fill it in")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"region", "artifacts_bucket", "parameters"}
    if unknown:
        raise SetupError(f"{path}: unknown settings {', '.join(sorted(unknown))} (parameters go under [parameters])")
    if not isinstance(data.get("region"), str) or not data["region"]:
        raise SetupError(f'{path}: region is missing (e.g. region = "eu-west-1")')
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict) or any(isinstance(v, dict | list) for v in parameters.values()):
        raise SetupError(f"{path}: [parameters] must map template parameter names to single values")
    if "Stage" in parameters:
        raise SetupError(f"{path}: Stage is not a parameter to set: it is the file's name ({stage})")
    return StageConfig(
        stage=stage,
        region=data["region"],
        artifacts_bucket=data.get("artifacts_bucket") or None,
        parameters={name: _parameter_value(value) for name, value in parameters.items()},
    )


def _parameter_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def check_credentials(session: Any) -> str:
    """The account the credentials belong to; SetupError when there are none or AWS refuses them."""
    from botocore.exceptions import BotoCoreError, ClientError

    if session.get_credentials() is None:
        raise SetupError(
            "no AWS credentials found: set AWS_PROFILE (aws configure sso / aws sso login) or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run make deploy again"
        )
    try:
        return str(session.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise SetupError(f"AWS refused the credentials ({exc}): renew them and run make deploy again") from None


def ensure_secret(session: Any, stage: str) -> bool:
    from functions.secrets import ensure_master_secret
    from infra.resources import secret_parameter

    return ensure_master_secret(session.client("ssm"), secret_parameter(stage))


def chalice_package(out: Path) -> Path:
    """`make package`: the SAM template (sam.yaml) and deployment.zip in ``out``."""
    shutil.rmtree(ROOT / ".chalice" / "deployments", ignore_errors=True)
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            CODE_STAGE,
            "--merge-template",
            "infra/template.yaml",
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DeployError(f"chalice package failed:\n{result.stdout}{result.stderr}")
    return out


def read_template(package_dir: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load((package_dir / "sam.yaml").read_text())  # chalice writes long-form intrinsics


def for_stage(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """Chalice's part of the template names the code's stage (its policies' chorus-dev-* tables, its SNS
    topics, CHORUS_STAGE): point them at ``stage``'s, as infra/template.yaml's ${Stage} names do."""

    code_stage_name = re.compile(rf"\bchorus-{CODE_STAGE}\b")  # chorus-dev-links, configuration-set/chorus-dev

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rename(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rename(item) for item in value]
        if isinstance(value, str):
            return code_stage_name.sub(f"chorus-{stage}", value).replace(f"/chorus/{CODE_STAGE}/", f"/chorus/{stage}/")
        return value

    staged = rename(template)
    for resource in staged["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if variables.get("CHORUS_STAGE") == CODE_STAGE:
            variables["CHORUS_STAGE"] = stage
    return staged


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    """The artifacts bucket (outside the stack: it must exist before it), private and encrypted."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise DeployError(f"artifacts bucket {bucket}: {exc} (pick another name in the stage file)") from None
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(_PUBLIC_ACCESS_BLOCKS, True),
    )
    print(f"Created the artifacts bucket {bucket}")


_PUBLIC_ACCESS_BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def upload(s3: Any, bucket: str, region: str, stage: str, package_dir: Path, template: dict[str, Any]) -> str:
    """Upload the zip and the template (too big to send inline); the template's URL."""
    code = package_dir / "deployment.zip"
    code_key = f"chorus/{stage}/{_sha256(code.read_bytes())}.zip"
    s3.upload_file(str(code), bucket, code_key)
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            if not str(properties["CodeUri"]).endswith("deployment.zip"):
                raise DeployError(f"unexpected CodeUri {properties['CodeUri']!r} in the packaged template")
            properties["CodeUri"] = f"s3://{bucket}/{code_key}"
    body = json.dumps(template, indent=1, sort_keys=True).encode()
    template_key = f"chorus/{stage}/{_sha256(body)}.template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stack_parameters(config: StageConfig, template: dict[str, Any], api_url: str | None) -> dict[str, str]:
    """The stage file's parameters, checked against the template's; PublicBaseUrl defaults to ``api_url``."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(config.parameters) - set(declared))
    if unknown:
        raise SetupError(
            f"infra/stages/{config.stage}.toml: {', '.join(unknown)} not a template parameter "
            f"(the template's: {', '.join(sorted(set(declared) - {'Stage'}))})"
        )
    values = {"Stage": config.stage, **config.parameters}
    if "PublicBaseUrl" in declared and "PublicBaseUrl" not in values:
        values["PublicBaseUrl"] = api_url or PENDING_API_URL
    missing = sorted(name for name, spec in declared.items() if "Default" not in spec and name not in values)
    if missing:
        raise SetupError(f"infra/stages/{config.stage}.toml: set {', '.join(missing)} under [parameters]")
    if values.get("SiteDomainName") and not values.get("SiteCertificateArn"):
        raise SetupError("SiteDomainName needs SiteCertificateArn: an ACM certificate in us-east-1 for CloudFront")
    return values


def stack_status(cfn: Any, stack: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def apply_change_set(cfn: Any, stack: str, template_url: str, parameters: dict[str, str]) -> bool:
    """Create or update ``stack`` through a change set and wait for it; False when nothing changed."""
    from botocore.exceptions import WaiterError

    status = stack_status(cfn, stack)
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"stack {stack} is busy ({status}): wait for it to settle and run make deploy again")
    if status == "ROLLBACK_COMPLETE":  # a first create that failed: it can only be deleted
        print(f"Deleting {stack}, left in ROLLBACK_COMPLETE by a failed first deploy")
        cfn.delete_stack(StackName=stack)
        cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=WAIT)
        status = None
    creating = status in (None, "REVIEW_IN_PROGRESS")
    name = f"chorus-{_sha256(template_url.encode() + json.dumps(parameters).encode())[:12]}-{os.getpid()}"
    cfn.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType="CREATE" if creating else "UPDATE",
        TemplateURL=template_url,
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in sorted(parameters.items())],
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "chorus:stage", "Value": parameters["Stage"]}],
    )
    try:
        cfn.get_waiter("change_set_create_complete").wait(StackName=stack, ChangeSetName=name, WaiterConfig=WAIT)
    except WaiterError:
        described = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        reason = described.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates are to be performed" in reason:
            cfn.delete_change_set(StackName=stack, ChangeSetName=name)
            return False
        raise DeployError(f"the change set for {stack} failed: {reason}") from None
    print(f"{'Creating' if creating else 'Updating'} {stack}…")
    cfn.execute_change_set(StackName=stack, ChangeSetName=name)
    try:
        cfn.get_waiter("stack_create_complete" if creating else "stack_update_complete").wait(
            StackName=stack, WaiterConfig=WAIT
        )
    except WaiterError:
        raise DeployError(f"{stack} did not deploy:\n{_failures(cfn, stack)}") from None
    return True


def _failures(cfn: Any, stack: str) -> str:
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")]
    return (
        "\n".join(
            f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason', '')}"
            for e in failed[:10]
        )
        or "  (no failed resource reported: see the stack's events in the CloudFormation console)"
    )


def activate_inbound_rule_set(ses: Any, rule_set: str) -> str:
    """Activate the unsubscribe rule set only if none is active: an account has one, and this would replace it."""
    active = (ses.describe_active_receipt_rule_set().get("Metadata") or {}).get("Name")
    if active == rule_set:
        return f"The SES receipt rule set {rule_set} is active."
    if active is None:
        ses.set_active_receipt_rule_set(RuleSetName=rule_set)
        return f"Activated the SES receipt rule set {rule_set} (mailto unsubscribes)."
    return (
        f"Left the account's active SES receipt rule set {active} alone: mail to the unsubscribe address is "
        f"not read until you add its rule there or run `aws ses set-active-receipt-rule-set --rule-set-name "
        f"{rule_set}` (which deactivates {active})."
    )


def describe(values: dict[str, str]) -> str:
    """The stack's outputs, then what to do with them."""
    lines = ["Outputs:"] + [f"  {key}: {values[key]}" for key in sorted(values)]
    if values.get("SiteUrl"):
        lines.append(f"The site: {values['SiteUrl']} (its pages appear after the first build, within 10 minutes)")
    if values.get("SiteDistributionDomain") and "cloudfront.net" not in values.get("SiteUrl", "cloudfront.net"):
        lines.append(f"DNS: the site's domain as a CNAME (or alias) to {values['SiteDistributionDomain']}")
    dkim = [values[key] for key in sorted(values) if key.startswith("DkimRecord")]
    if dkim:
        lines.append(
            f"DNS: these records for {values.get('MailDomain', 'the MailFrom domain')}; SES verifies it with them:"
        )
        lines += [f"  {record}" for record in dkim]
    return "\n".join(lines)


def deploy(config: StageConfig, session: Any, package: Packager = chalice_package) -> dict[str, str]:
    """Everything after the credentials check; the stack's outputs."""
    account = check_credentials(session)
    created = ensure_secret(session, config.stage)
    print(f"Signing secret {'created' if created else 'already present'} in SSM ({config.region})")
    cfn, s3 = session.client("cloudformation"), session.client("s3")
    with tempfile.TemporaryDirectory(prefix="chorus-package-") as out:
        print("Packaging (chalice package --merge-template infra/template.yaml)…")
        package_dir = package(Path(out))
        template = for_stage(read_template(package_dir), config.stage)
        bucket = config.artifacts_bucket or f"chorus-artifacts-{account}-{config.region}"
        ensure_bucket(s3, bucket, config.region)
        template_url = upload(s3, bucket, config.region, config.stage, package_dir, template)
    existing = outputs(cfn, config.stack_name) if stack_status(cfn, config.stack_name) else {}
    parameters = stack_parameters(config, template, existing.get("EndpointURL"))
    if not apply_change_set(cfn, config.stack_name, template_url, parameters):
        print(f"{config.stack_name} is up to date: no changes")
    values = outputs(cfn, config.stack_name)
    if parameters.get("PublicBaseUrl") == PENDING_API_URL and values.get("EndpointURL"):
        print("PublicBaseUrl was not set: pointing it at the new API's own URL (a second change set)")
        parameters["PublicBaseUrl"] = values["EndpointURL"]
        apply_change_set(cfn, config.stack_name, template_url, parameters)
        values = outputs(cfn, config.stack_name)
    if values.get("InboundRuleSetName"):
        print(activate_inbound_rule_set(session.client("ses"), values["InboundRuleSetName"]))
    return values


def retained(cfn: Any, stack: str) -> list[tuple[str, str, str]]:
    """(type, logical id, physical id) of each resource the stack keeps when deleted."""
    body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, str):
        import yaml

        body = yaml.safe_load(body)
    keeps = {
        logical: resource["Type"]
        for logical, resource in body.get("Resources", {}).items()
        if resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    }
    physical = {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
        for summary in page["StackResourceSummaries"]
    }
    return [(keeps[logical], logical, physical[logical]) for logical in sorted(keeps) if physical.get(logical)]


def destroy(config: StageConfig, session: Any) -> list[tuple[str, str, str]]:
    check_credentials(session)
    cfn = session.client("cloudformation")
    if stack_status(cfn, config.stack_name) is None:
        raise DeployError(f"no stack {config.stack_name} in {config.region}")
    kept = retained(cfn, config.stack_name)
    print(f"Deleting {config.stack_name}…")
    cfn.delete_stack(StackName=config.stack_name)
    from botocore.exceptions import WaiterError

    try:
        cfn.get_waiter("stack_delete_complete").wait(StackName=config.stack_name, WaiterConfig=WAIT)
    except WaiterError:
        raise DeployError(f"{config.stack_name} was not deleted:\n{_failures(cfn, config.stack_name)}") from None
    return kept


def describe_retained(kept: list[tuple[str, str, str]], config: StageConfig) -> str:
    from infra.resources import secret_parameter

    lines = [f"Deleted {config.stack_name}. Kept, with their data (DeletionPolicy: Retain):"]
    lines += [f"  {kind:24} {physical}" for kind, _, physical in kept]
    lines.append("Also kept, outside the stack: the signing secret and the artifacts bucket.")
    lines.append("To delete them for good (irreversible; the tables' point-in-time backups go with them):")
    lines += [f"  {DELETE_FOR_GOOD[kind].format(physical)}" for kind, _, physical in kept if kind in DELETE_FOR_GOOD]
    lines.append(f"  aws ssm delete-parameter --name {secret_parameter(config.stage)}")
    bucket = config.artifacts_bucket or "chorus-artifacts-<account>-<region>"
    lines.append(f"  aws s3 rm s3://{bucket}/chorus/{config.stage}/ --recursive")
    return "\n".join(lines)


def main(argv: list[str] | None = None, session: Any = None, package: Packager = chalice_package) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description="Deploy Chorus to AWS")
    parser.add_argument("command", choices=("deploy", "destroy", "region"), help="region: print the stage's")
    parser.add_argument("--stage", required=True, help="the stage: infra/stages/<stage>.toml, stack chorus-<stage>")
    parser.add_argument("--stage-file", type=Path, help="another stage file than infra/stages/<stage>.toml")
    parser.add_argument("--yes", action="store_true", help="destroy without asking")
    args = parser.parse_args(argv)
    try:
        if args.command == "region":
            print(load_stage(args.stage, args.stage_file).region)
            return 0
        if session is None:
            import boto3

            check_credentials(boto3.Session())  # first, before the stage file: fails at once without any
        config = load_stage(args.stage, args.stage_file)
        session = session or _session(config.region)
        if args.command == "deploy":
            print(describe(deploy(config, session, package)))
            return 0
        if not args.yes and input(f"Delete the stack {config.stack_name}? Type its name: ") != config.stack_name:
            print("Not deleted.")
            return 1
        print(describe_retained(destroy(config, session), config))
        return 0
    except DeployError as exc:
        print(f"Error ({args.command} --stage {args.stage}): {exc}", file=sys.stderr)
        return exc.exit_status


def _session(region: str) -> Any:
    import boto3

    return boto3.Session(region_name=region)


if __name__ == "__main__":
    sys.exit(main())
