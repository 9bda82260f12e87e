"""The deployable artifact: `chalice package`'s template scoped to a stage, and its upload (what `aws
cloudformation package` does: each function's local CodeUri becomes the uploaded zip's s3:// address)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.stage_file import DeployError

ROOT = Path(__file__).resolve().parents[1]
CODE_STAGE = "dev"  # the Chalice stage of .chalice/config.json whose settings and policies every stage deploys

Packager = Callable[[Path], Path]


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


def for_stage(template: dict[str, Any], stage: str, mail_from: str | None = None) -> dict[str, Any]:
    """Chalice's part of the template names the code's stage (its policies' chorus-dev-* tables, its SNS
    topics, CHORUS_STAGE) and the code's default MailFrom (the digest sender's SES grant,
    infra/policies.py): point them at ``stage``'s, as infra/template.yaml's ${Stage} names do, and at the
    stage's ``mail_from`` identities."""
    from functions.config import Settings
    from infra.policies import mail_identities

    code_stage_name = re.compile(rf"\bchorus-{CODE_STAGE}\b")  # chorus-dev-links, configuration-set/chorus-dev
    identities = (
        list(zip(mail_identities(Settings.from_env({}).mail_from), mail_identities(mail_from), strict=True))
        if mail_from
        else []
    )

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rename(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rename(item) for item in value]
        if isinstance(value, str):
            value = code_stage_name.sub(f"chorus-{stage}", value).replace(f"/chorus/{CODE_STAGE}/", f"/chorus/{stage}/")
            for code, staged_identity in identities:
                if value.endswith(f":identity/{code}"):
                    value = value.removesuffix(code) + staged_identity
            return value
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
    code_key = f"chorus/{stage}/{sha256(code.read_bytes())}.zip"
    s3.upload_file(str(code), bucket, code_key)
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            if not str(properties["CodeUri"]).endswith("deployment.zip"):
                raise DeployError(f"unexpected CodeUri {properties['CodeUri']!r} in the packaged template")
            properties["CodeUri"] = f"s3://{bucket}/{code_key}"
    body = json.dumps(template, indent=1, sort_keys=True).encode()
    template_key = f"chorus/{stage}/{sha256(body)}.template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=body)
    return f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
