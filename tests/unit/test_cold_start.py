"""What a Lambda cold start pays for: importing app.py must stay light."""

import subprocess
import sys

from tests.conftest import ROOT

HEAVY = (
    "jinja2",
    "css_inline",
    "pydantic",
    "aws_lambda_powertools.utilities.idempotency",
    "boto3",
    "is_bot",
    "feedparser",
    "duckdb",
)


def test_importing_the_app_loads_no_heavy_module_and_creates_no_client() -> None:
    probe = (
        "import sys, app; heavy = [m for m in sys.argv[1:] if m in sys.modules];"
        "from functions import aws; print(heavy, aws.client.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *HEAVY], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split("\n")[0] == "[] 0"


# The short links' own Lambda (functions/links/front_door.py) imports the redirect and nothing of the app.
FRONT_DOOR_HEAVY = (*HEAVY, "chalice", "app", "functions.api", "aws_lambda_powertools", "cachetools", "yaml")


def test_importing_the_front_door_loads_only_the_redirect() -> None:
    probe = (
        "import sys, functions.links.front_door; heavy = [m for m in sys.argv[1:] if m in sys.modules];"
        "from functions import aws; print(heavy, aws.client.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *FRONT_DOOR_HEAVY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split("\n")[0] == "[] 0"
