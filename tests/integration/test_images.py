"""Uploaded images: checked by their bytes, stored in S3, usable as a card's image."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.admin.tokens import AdminTokenStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def token(aws: None) -> str:
    return AdminTokenStore().create("design")


def upload(client: Any, token: str, data: bytes, content_type: str = "image/png") -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
    return client.http.post("/api/admin/images", headers=headers, body=data)


def test_an_uploaded_image_is_stored_and_used_by_an_item(client: Any, token: str) -> None:
    import boto3

    response = upload(client, token, PNG)
    assert response.status_code == 201
    url = response.json_body["image_url"]
    name = url.rsplit("/", 1)[1]
    stored = boto3.client("s3").get_object(Bucket="chorus-dev-site-000000000000", Key=f"media/{name}")
    assert stored["Body"].read() == PNG and stored["ContentType"] == "image/png"
    media = client.http.get(f"/media/{name}")
    assert media.status_code == 302 and f"media/{name}" in media.headers["Location"]
    created = client.http.post(
        "/api/admin/content",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps({"url": "https://example.com/a", "title": "With image", "image_url": url}),
    )
    assert created.status_code == 201 and created.json_body["image_url"] == url


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"<svg onload=alert(1)></svg>", "image/png", 400),  # claims PNG, is SVG
        (b"MZ\x90\x00" + b"\x00" * 32, "application/octet-stream", 400),  # an executable
        (b"", "image/png", 400),
        (PNG + b"\x00" * (5 * 1024 * 1024), "image/png", 413),
    ],
)
def test_anything_but_a_real_image_within_5_mb_is_refused(
    client: Any, token: str, data: bytes, content_type: str, status: int
) -> None:
    response = upload(client, token, data, content_type)
    assert response.status_code == status and set(response.json_body["fields"]) == {"body"}


def test_uploads_need_an_admin_and_unknown_media_is_404(client: Any, token: str) -> None:
    assert client.http.post("/api/admin/images", headers={"Content-Type": "image/png"}, body=PNG).status_code == 401
    assert client.http.get("/media/../../secret").status_code in (403, 404)
    assert client.http.get("/media/" + "0" * 32 + ".exe").status_code == 404
