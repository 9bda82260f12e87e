"""A stage's settings (infra/stages/<stage>.toml) and the stack parameters they become, checked before
anything is deployed; the errors `make deploy` says to the operator as they are."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGES = Path(__file__).with_name("stages")
STAGE_NAME = re.compile(r"[a-z0-9-]{1,20}")  # the template's Stage AllowedPattern
PENDING_API_URL = "https://api-url-pending.invalid"  # PublicBaseUrl until the stack's API exists (first deploy)
SETUP_FAILED = 2  # no credentials, no stage file: nothing was touched


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
