"""Images uploaded for content cards: checked by their bytes, stored in the site bucket by content hash.

The bucket stays private; ``/media/<name>`` answers with a short-lived presigned URL, so the same link
works in AWS and locally against moto.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from functions import aws
from functions.config import settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
PREFIX = "media/"
_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|gif|webp)")
# The file signatures of the formats a content card may show (what the bytes are, not what they claim).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
)


class ImageRejectedError(ValueError):
    pass


@dataclass(frozen=True)
class StoredImage:
    name: str
    content_type: str
    url: str


def sniff(data: bytes) -> tuple[str, str]:
    """(extension, content type) from the bytes themselves; ImageRejectedError otherwise."""
    if not data:
        raise ImageRejectedError("is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError(f"must be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    for signature, extension, content_type in _SIGNATURES:
        if data.startswith(signature):
            return extension, content_type
    raise ImageRejectedError("must be a PNG, JPEG, GIF or WebP image (checked by content, not by name)")


def store_image(data: bytes) -> StoredImage:
    extension, content_type = sniff(data)
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
    aws.client("s3").put_object(
        Bucket=settings().site_bucket, Key=PREFIX + name, Body=data, ContentType=content_type,
        CacheControl="public, max-age=31536000, immutable",
    )
    return StoredImage(name, content_type, media_url(name))


def media_url(name: str) -> str:
    return f"{settings().api_base_url}/{PREFIX}{name}"


def is_own_media_url(url: str) -> bool:
    prefix = f"{settings().api_base_url}/{PREFIX}"
    return url.startswith(prefix) and bool(_NAME.fullmatch(url[len(prefix):]))


def presigned(name: str, seconds: int = 3600) -> str | None:
    """A temporary URL of a stored image, or None for a name that cannot be one of ours."""
    if not _NAME.fullmatch(name):
        return None
    return aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": settings().site_bucket, "Key": PREFIX + name}, ExpiresIn=seconds
    )
