"""Uploaded images: sent by the browser straight to S3 (never through the API), checked, published for the site.

The form's POST to S3 is a real multipart request (requests, intercepted by moto). moto stores whatever it
is sent without evaluating the POST policy, so S3's own refusals are checked on the policy document, and
the completion step's checks, which catch the same files, are exercised for real.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict
from typing import Any

import pytest

from functions.admin.tokens import AdminTokenStore

BUCKET = "chorus-dev-site-000000000000"
SITE = "https://site.example.org"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MB = 1024 * 1024
LAMBDA_PAYLOAD = 6 * MB  # what API Gateway may hand Lambda; a binary body arrives base64-encoded


@pytest.fixture
def token(aws: None) -> str:
    return AdminTokenStore().create("design")


class Form:
    """What the admin form does: start, POST the file to S3, complete; every API request body is kept."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.api_bodies: list[bytes] = []

    def api(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        self.api_bodies.append(raw)
        return self.client.http.post(path, headers=self.headers if headers is None else headers, body=raw)

    def start(self, content_type: str = "image/png", size: int | None = None) -> Any:
        return self.api("/api/admin/images", {"content_type": content_type, "size": size})

    def send(self, upload: dict[str, Any], data: bytes, content_type: str | None = None) -> Any:
        import requests

        fields = dict(upload["fields"])
        if content_type:
            fields["Content-Type"] = content_type
        return requests.post(upload["url"], data=fields, files={"file": ("picture", data)}, timeout=30)

    def complete(self, upload_id: str) -> Any:
        return self.api(f"/api/admin/images/{upload_id}/complete")

    def upload(self, data: bytes, content_type: str = "image/png") -> tuple[str, Any]:
        started = self.start(content_type, len(data))
        assert started.status_code == 201, started.json_body
        assert self.send(started.json_body, data).status_code == 204
        return started.json_body["upload_id"], self.complete(started.json_body["upload_id"])


def objects(prefix: str) -> dict[str, int]:
    import boto3

    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {entry["Key"]: entry["Size"] for entry in listed}


def test_an_image_over_4_4_mb_uploads_without_passing_through_the_api(client: Any, token: str) -> None:
    import boto3

    from functions import aws

    copies: list[dict[str, Any]] = []
    aws.client("s3").meta.events.register(
        "provide-client-params.s3.CopyObject", lambda params, **_: copies.append(params)
    )
    data = PNG + bytes(range(256)) * (int(4.9 * MB) // 256)
    form = Form(client, token)

    upload_id, response = form.upload(data)

    assert response.status_code == 201, response.json_body
    assert len(base64.b64encode(data)) > LAMBDA_PAYLOAD  # the file as the API's body could not reach Lambda
    assert all(len(base64.b64encode(body)) < 1024 for body in form.api_bodies)  # nor does it now: tiny bodies
    image = response.json_body
    name = image["image_url"].removeprefix(f"{SITE}/media/")
    assert image["image_url"].startswith(f"{SITE}/media/") and name.endswith(".png")
    assert (image["content_type"], image["size"]) == ("image/png", len(data))
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"media/{name}")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "image/png" and "immutable" in stored["CacheControl"]
    assert objects("uploads/") == {}  # the unchecked copy is gone
    assert copies[0]["CopySourceIfMatch"]  # only the very object that was checked is published

    created = client.http.post(
        "/api/admin/content",
        headers=form.headers,
        body=json.dumps({"url": "https://example.com/a", "title": "With image", "image_url": image["image_url"]}),
    )
    assert created.status_code == 201 and created.json_body["image_url"] == image["image_url"]
    again = form.complete(upload_id)  # completing again (after a lost answer) gives the same image
    assert again.status_code == 201 and again.json_body == image


def test_the_form_lets_s3_itself_refuse_other_types_large_files_and_late_posts(client: Any, token: str) -> None:
    before = time.time()
    started = Form(client, token).start("image/webp", 1000)
    assert started.status_code == 201
    upload = started.json_body
    document = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = document["conditions"]
    key = next(c["key"] for c in conditions if isinstance(c, dict) and "key" in c)
    assert key.startswith("uploads/") and upload["fields"]["key"] == key  # one exact staging key
    assert {"Content-Type": "image/webp"} in conditions and upload["fields"]["Content-Type"] == "image/webp"
    assert ["content-length-range", 1, 5 * MB] in conditions and upload["max_bytes"] == 5 * MB
    assert {"bucket": BUCKET} in conditions
    expires = time.mktime(time.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before < expires <= before + 601 and abs(upload["expires_at"] - expires) <= 1
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4: every region takes it
    assert upload["url"] == f"https://{BUCKET}.s3.us-east-1.amazonaws.com/"  # the regional endpoint


@pytest.mark.parametrize(
    ("data", "declared", "status", "says"),
    [
        (b"<svg onload=alert(1)></svg>", "image/png", 400, "checked by content"),  # claims PNG, is SVG
        (b"MZ\x90\x00" + b"\x00" * 32, "image/gif", 400, "checked by content"),  # an executable
        (JPEG, "image/png", 400, "is image/jpeg, not image/png"),
        (b"", "image/png", 400, "is empty"),
        (PNG + b"\x00" * (5 * MB), "image/png", 413, "at most 5 MB"),  # S3 refuses it; moto does not
    ],
)
def test_what_s3_accepted_is_checked_again_and_a_bad_file_deleted(
    client: Any, token: str, data: bytes, declared: str, status: int, says: str
) -> None:
    form = Form(client, token)
    started = form.start(declared)
    assert form.send(started.json_body, data).status_code == 204

    response = form.complete(started.json_body["upload_id"])

    assert response.status_code == status
    assert set(response.json_body["fields"]) == {"image"} and says in response.json_body["fields"]["image"]
    assert objects("uploads/") == {} and objects("media/") == {}  # deleted, and nothing published


def test_a_file_replaced_while_it_is_checked_is_not_published(client: Any, token: str) -> None:
    import boto3

    from functions import aws

    form = Form(client, token)
    upload = form.start().json_body
    assert form.send(upload, PNG).status_code == 204
    key = upload["fields"]["key"]

    def swap(**_: Any) -> None:  # a second POST with the same form lands between the size check and the read
        boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"<html>not the checked file</html>")

    aws.client("s3").meta.events.register_first("before-call.s3.GetObject", swap)
    response = form.complete(upload["upload_id"])

    assert response.status_code == 400 and "changed" in response.json_body["fields"]["image"]
    assert objects("uploads/") == {} and objects("media/") == {}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"content_type": "image/svg+xml"}, 400, "content_type"),
        ({"content_type": "text/html", "size": 10}, 400, "content_type"),
        ({}, 400, "content_type"),
        ({"content_type": "image/png", "size": 5 * MB + 1}, 413, "size"),
        ({"content_type": "image/png", "size": 0}, 400, "size"),
        ({"content_type": "image/png", "size": "big"}, 400, "size"),
    ],
)
def test_a_type_or_size_that_cannot_be_used_is_refused_before_anything_is_sent(
    client: Any, token: str, body: dict[str, Any], status: int, field: str
) -> None:
    response = Form(client, token).api("/api/admin/images", body)
    assert response.status_code == status and set(response.json_body["fields"]) == {field}


def test_forged_expired_and_unsent_uploads_are_refused(client: Any, token: str) -> None:
    from functions.content.images import start_upload

    form = Form(client, token)
    upload = form.start().json_body
    token_part, extension, expires, signature = upload["upload_id"].split(".")
    assert form.send(upload, JPEG, "image/jpeg").status_code == 204
    for forged in (
        f"{'0' * 32}.{extension}.{expires}.{signature}",  # another staging object
        f"{token_part}.jpg.{expires}.{signature}",  # another declared type
        f"{token_part}.{extension}.{int(expires) + 3600}.{signature}",  # a longer life
        "index.html",
    ):
        refused = form.complete(forged)
        assert refused.status_code == 400 and set(refused.json_body["fields"]) == {"upload_id"}, forged
    assert objects("media/") == {}

    old = start_upload("image/png", now=time.time() - 2 * 3600)  # started two hours ago
    assert form.send(asdict(old), PNG).status_code == 204
    expired = form.complete(old.upload_id)
    assert expired.status_code == 400 and "expired" in expired.json_body["fields"]["upload_id"]
    assert f"uploads/{old.upload_id.split('.')[0]}" not in objects("uploads/")

    unsent = form.complete(form.start().json_body["upload_id"])
    assert unsent.status_code == 404 and set(unsent.json_body["fields"]) == {"upload_id"}


def test_uploads_need_an_admin(client: Any, token: str) -> None:
    form = Form(client, token)
    upload_id = form.start().json_body["upload_id"]
    anonymous = {"Content-Type": "application/json"}
    assert form.api("/api/admin/images", {"content_type": "image/png"}, anonymous).status_code == 401
    assert form.api(f"/api/admin/images/{upload_id}/complete", None, anonymous).status_code == 401


def test_the_admin_page_may_send_files_to_the_bucket_and_nowhere_else(client: Any, token: str) -> None:
    upload = Form(client, token).start().json_body
    policy = client.http.get("/admin").headers["Content-Security-Policy"]
    connect = next(part.split()[1:] for part in policy.split(";") if part.split()[0] == "connect-src")
    assert connect == ["'self'", upload["url"].rstrip("/")]


def test_images_the_api_used_to_serve_move_to_the_site(client: Any, token: str) -> None:
    name = "0123456789abcdef0123456789abcdef.png"
    moved = client.http.get(f"/media/{name}")
    assert moved.status_code == 301 and moved.headers["Location"] == f"{SITE}/media/{name}"
    assert client.http.get("/media/" + "0" * 32 + ".exe").status_code == 404
    assert client.http.get("/media/..%2F..%2Fsecret").status_code in (403, 404)

    created = client.http.post(  # an item saved with the old address gets the site's
        "/api/admin/content",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps(
            {
                "url": "https://example.com/b",
                "title": "Old image",
                "image_url": f"https://chorus.example.org/media/{name}",
            }
        ),
    )
    assert created.status_code == 201 and created.json_body["image_url"] == f"{SITE}/media/{name}"
