"""Where the browser sends images and how AWS lets it: the endpoint, the admin page's CSP, the bucket's rules.

moto accepts any origin and never expires anything, so what AWS would refuse is checked on the template.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

BUCKET = "chorus-dev-site-123456789012"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from functions.config import settings

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SITE_BUCKET", BUCKET)

    def use(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield use
    settings.cache_clear()


def botocore_post_url(region: str, endpoint: str | None, style: str) -> str:
    import boto3
    from botocore.config import Config

    config = Config(signature_version="s3v4", s3={"addressing_style": style, "us_east_1_regional_endpoint": "regional"})
    s3 = boto3.session.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name=region).client(
        "s3", endpoint_url=endpoint, config=config
    )
    return s3.generate_presigned_post(BUCKET, "uploads/x")["url"]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_in_aws_the_browser_posts_to_the_buckets_regional_endpoint(environment: Any, region: str) -> None:
    from functions.content.images import upload_endpoint, upload_origin

    environment(AWS_REGION=region)
    assert upload_endpoint() == botocore_post_url(region, None, "virtual")
    assert upload_origin() == f"https://{BUCKET}.s3.{region}.amazonaws.com"


def test_locally_the_browser_posts_to_the_local_s3(environment: Any) -> None:
    from functions.content.images import upload_endpoint, upload_origin

    environment(AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL="http://127.0.0.1:5123/")
    assert upload_endpoint() == botocore_post_url("us-east-1", "http://127.0.0.1:5123", "path")
    assert upload_origin() == "http://127.0.0.1:5123"
    environment(AWS_ENDPOINT_URL_S3="http://localhost:4566")  # the S3-specific setting wins
    assert upload_origin() == "http://localhost:4566"


def resolve(value: Any, parameters: dict[str, str]) -> Any:
    """The few CloudFormation intrinsics the bucket's CORS rule uses, evaluated as CloudFormation does."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return parameters[argument]
        if function == "Fn::Join":
            return argument[0].join(resolve(part, parameters) for part in argument[1])
        if function == "Fn::Select":
            return resolve(argument[1], parameters)[argument[0]]
        if function == "Fn::Split":
            return resolve(argument[1], parameters).split(argument[0])
        raise AssertionError(f"unexpected {function}")
    return value


@pytest.mark.parametrize(
    "public_base_url", ["https://chorus.example.com", "https://abc123.execute-api.eu-west-1.amazonaws.com/api"]
)
def test_the_bucket_takes_posts_from_the_admin_pages_origin_only(public_base_url: str) -> None:
    from infra.resources import template

    (rule,) = template()["Resources"]["SiteBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    page = urlsplit(f"{public_base_url}/admin")  # where the admin form is served, with its API
    origins = [resolve(origin, {"PublicBaseUrl": public_base_url}) for origin in rule["AllowedOrigins"]]
    assert origins == [f"{page.scheme}://{page.netloc}"] and rule["AllowedMethods"] == ["POST"]


def test_unchecked_uploads_are_never_served_and_expire_within_a_day() -> None:
    from infra.resources import template

    resources = template()["Resources"]
    (rule,) = resources["SiteBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert (rule["Prefix"], rule["Status"], rule["ExpirationInDays"]) == ("uploads/", "Enabled", 1)
    denied = [
        s for s in resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"
    ]
    assert [(s["Principal"], s["Action"], s["Resource"]["Fn::Sub"]) for s in denied] == [
        ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject", "${SiteBucket.Arn}/uploads/*")
    ]


def test_the_site_serves_media_straight_from_the_bucket() -> None:
    from infra.resources import template

    config = template()["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    (media,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/media/*"]
    assert media["TargetOriginId"] == config["DefaultCacheBehavior"]["TargetOriginId"]
    assert "FunctionAssociations" not in media  # no directory-path rewriting of image names
    assert media["AllowedMethods"] == ["GET", "HEAD"]
