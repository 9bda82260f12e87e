"""The stack `chorus-<stage>` in CloudFormation: created or updated through a change set, its outputs, and
what it keeps when deleted."""

from __future__ import annotations

import json
import os
from typing import Any

from infra.artifact import sha256
from infra.stage_file import DeployError

# How to delete what a deleted stack keeps, by resource type ({} is the physical id).
DELETE_FOR_GOOD = {
    "AWS::DynamoDB::Table": "aws dynamodb delete-table --table-name {}",
    "AWS::S3::Bucket": "aws s3 rb s3://{} --force",
}
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles per function; the SAM transform
WAIT = {"Delay": 10, "MaxAttempts": 360}  # an hour: a new CloudFront distribution alone takes minutes


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
        kept = retained(cfn, stack)
        delete(cfn, stack)
        if kept:  # even a rolled-back create keeps them, and their names would collide with the next one's
            raise DeployError(
                f"the failed first deploy left what {stack} keeps when deleted (new and empty): delete it, then "
                "run make deploy again:\n" + "\n".join(f"  {command}" for command in delete_commands(kept))
            )
        status = None
    creating = status in (None, "REVIEW_IN_PROGRESS")
    name = f"chorus-{sha256(template_url.encode() + json.dumps(parameters).encode())[:12]}-{os.getpid()}"
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
        raise DeployError(f"{stack} did not deploy:\n{failures(cfn, stack)}") from None
    return True


def failures(cfn: Any, stack: str) -> str:
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")]
    return (
        "\n".join(
            f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason', '')}"
            for e in failed[:10]
        )
        or "  (no failed resource reported: see the stack's events in the CloudFormation console)"
    )


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


def delete_commands(kept: list[tuple[str, str, str]]) -> list[str]:
    return [DELETE_FOR_GOOD[kind].format(physical) for kind, _, physical in kept if kind in DELETE_FOR_GOOD]


def delete(cfn: Any, stack: str) -> None:
    from botocore.exceptions import WaiterError

    cfn.delete_stack(StackName=stack)
    try:
        cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=WAIT)
    except WaiterError:
        raise DeployError(f"{stack} was not deleted:\n{failures(cfn, stack)}") from None
