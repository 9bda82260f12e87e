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
import sys
import tempfile
from pathlib import Path
from typing import Any

from infra.artifact import Packager, chalice_package, ensure_bucket, for_stage, read_template, upload
from infra.resources import template
from infra.stack import apply_change_set, delete, delete_commands, outputs, retained, stack_status
from infra.stage_file import PENDING_API_URL, DeployError, SetupError, StageConfig, load_stage, stack_parameters

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (aws configure sso, then aws sso login) or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, then run it again"
)


def require_credentials(region: str | None = None) -> Any:
    """A boto3 session, if it has credentials (looked up locally, no call to AWS); SetupError otherwise."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(region_name=region)
        found = session.get_credentials()
    except BotoCoreError as exc:  # AWS_PROFILE naming no profile, an unreadable config file
        raise SetupError(f"{NO_CREDENTIALS} ({exc})") from None
    if found is None:
        raise SetupError(NO_CREDENTIALS)
    return session


def account_of(session: Any) -> str:
    """The account the credentials belong to, as AWS sees them; SetupError when it refuses them."""
    from botocore.exceptions import BotoCoreError, ClientError

    if session.get_credentials() is None:
        raise SetupError(NO_CREDENTIALS)
    try:
        return str(session.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise SetupError(f"AWS refused the credentials ({exc}): renew them and run it again") from None


def ensure_secret(session: Any, stage: str) -> bool:
    from functions.secrets import ensure_master_secret
    from infra.resources import secret_parameter

    return ensure_master_secret(session.client("ssm"), secret_parameter(stage))


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


def deactivate_inbound_rule_set(ses: Any, rule_set: str) -> str:
    active = (ses.describe_active_receipt_rule_set().get("Metadata") or {}).get("Name")
    if active != rule_set:
        return f"The SES receipt rule set {rule_set} is not the active one: nothing to deactivate."
    ses.set_active_receipt_rule_set()  # no name: no active rule set
    return f"Deactivated the SES receipt rule set {rule_set}: the account now has no active rule set."


def describe(values: dict[str, str]) -> str:
    """The stack's outputs (and URLs given as parameters), then what to do with them."""
    lines = ["The stack:"] + [f"  {key}: {values[key]}" for key in sorted(values)]
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
    stack_parameters(config, template(), None)  # the stage file's mistakes, before anything is written
    account = account_of(session)
    created = ensure_secret(session, config.stage)
    print(f"Signing secret {'created' if created else 'already present'} in SSM ({config.region})")
    cfn, s3 = session.client("cloudformation"), session.client("s3")
    with tempfile.TemporaryDirectory(prefix="chorus-package-") as out:
        print("Packaging (chalice package --merge-template infra/template.yaml)…")
        package_dir = package(Path(out))
        packaged = for_stage(read_template(package_dir), config.stage, config.parameters.get("MailFrom"))
        bucket = config.artifacts_bucket or f"chorus-artifacts-{account}-{config.region}"
        ensure_bucket(s3, bucket, config.region)
        template_url = upload(s3, bucket, config.region, config.stage, package_dir, packaged)
    existing = outputs(cfn, config.stack_name) if stack_status(cfn, config.stack_name) else {}
    parameters = stack_parameters(config, packaged, existing.get("EndpointURL"))
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
    # the URLs given as parameters, beside those the stack outputs
    given = {name: parameters[name] for name in ("PublicBaseUrl",) if parameters.get(name)}
    return {**given, **values}


def destroy(config: StageConfig, session: Any) -> list[tuple[str, str, str]]:
    account_of(session)
    cfn = session.client("cloudformation")
    if stack_status(cfn, config.stack_name) is None:
        raise DeployError(f"no stack {config.stack_name} in {config.region}")
    kept = retained(cfn, config.stack_name)
    rule_set = outputs(cfn, config.stack_name).get("InboundRuleSetName")
    if rule_set:  # SES refuses to delete the active rule set
        print(deactivate_inbound_rule_set(session.client("ses"), rule_set))
    print(f"Deleting {config.stack_name}…")
    delete(cfn, config.stack_name)
    return kept


def describe_retained(kept: list[tuple[str, str, str]], config: StageConfig) -> str:
    from infra.resources import secret_parameter

    lines = [f"Deleted {config.stack_name}. Kept, with their data (DeletionPolicy: Retain):"]
    lines += [f"  {kind:24} {physical}" for kind, _, physical in kept]
    lines.append("Also kept, outside the stack: the signing secret and the artifacts bucket.")
    lines.append("To delete them for good (irreversible; the tables' point-in-time backups go with them):")
    lines += [f"  {command}" for command in delete_commands(kept)]
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
            require_credentials()  # first, before the stage file: fails at once without any
        config = load_stage(args.stage, args.stage_file)
        session = session or require_credentials(config.region)
        if args.command == "deploy":
            print(describe(deploy(config, session, package)))
            return 0
        if not args.yes and not confirmed(f"Delete the stack {config.stack_name}? Type its name: ", config.stack_name):
            print("Not deleted.")
            return 1
        print(describe_retained(destroy(config, session), config))
        return 0
    except DeployError as exc:
        print(f"Error ({args.command} --stage {args.stage}): {exc}", file=sys.stderr)
        return exc.exit_status


def confirmed(question: str, answer: str) -> bool:
    try:
        return input(question).strip() == answer
    except EOFError:  # no terminal to ask: only --yes (YES=1) deletes
        return False


if __name__ == "__main__":
    sys.exit(main())
