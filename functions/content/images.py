"""Images for content cards: sent by the browser straight to S3, checked, then published under media/.

An image never passes through the API: API Gateway hands Lambda at most 6 MB and a binary body arrives
base64-encoded, so anything over ~4.4 MB failed only in AWS. Instead:

1. ``start_upload`` signs a presigned POST for a staging key ``uploads/<token>``. S3 itself refuses a
   file over 5 MB or sent with another Content-Type than the declared one, and the form expires soon.
2. The browser POSTs the file to S3 (``upload_endpoint``; the admin page's CSP allows its origin).
3. ``complete_upload`` checks what arrived (its size, and that its first bytes really are the declared
   format), copies exactly that object to ``media/<token>.<ext>`` with its Content-Type and a year's
   caching, and deletes the staging object. A bad upload is deleted.

Nothing under uploads/ is ever served (CloudFront is denied it; a lifecycle rule removes leftovers after
a day). The site's CloudFront distribution serves ``/media/*`` from the bucket, and so does `make run`,
so an image's URL is ``<site>/media/<name>``.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from functions import aws
from functions.config import settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
UPLOAD_SECONDS = 600  # how long the browser has to start sending the file
COMPLETE_SECONDS = 3600  # how long an upload id can be completed
PREFIX = "media/"
STAGING = "uploads/"
CACHE_CONTROL = "public, max-age=31536000, immutable"  # a name is never reused
# The formats a content card may show, by declared Content-Type (what the browser says it sends).
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|gif|webp)")
_PURPOSE = "image-upload"
# The file signatures of those formats (what the bytes are, not what they claim).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
)
_SNIFF_BYTES = 32
_TYPES = "a PNG, JPEG, GIF or WebP image"
_TOO_BIG = f"must be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB"


class ImageRejectedError(ValueError):
    """The image (or its upload) cannot be used; ``field`` and ``status`` say how to answer."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class UploadNotFoundError(LookupError):
    """Nothing was uploaded for this (authentic, unexpired) upload id."""


@dataclass(frozen=True)
class UploadForm:
    """What the browser needs to send the file to S3: POST ``fields`` then the file (named ``file``) to ``url``."""

    upload_id: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: int


@dataclass(frozen=True)
class StoredImage:
    name: str
    content_type: str
    size: int
    url: str


def sniff(head: bytes) -> tuple[str, str]:
    """(extension, content type) from a file's first bytes; ImageRejectedError otherwise."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", "image/webp"
    for signature, extension, content_type in _SIGNATURES:
        if head.startswith(signature):
            return extension, content_type
    raise ImageRejectedError("image", f"must be {_TYPES} (checked by content, not by name)")


def start_upload(content_type: str, size: int | None = None, now: float | None = None) -> UploadForm:
    """A presigned POST for one image of ``content_type`` (and, when the browser says so, ``size`` bytes)."""
    from functions.secrets import derived_key
    from functions.signing import sign

    extension = EXTENSIONS.get(content_type)
    if extension is None:
        raise ImageRejectedError("content_type", f"must be one of {', '.join(EXTENSIONS)}")
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ImageRejectedError("size", _TOO_BIG, 413)
    if size is not None and size < 1:
        raise ImageRejectedError("size", "is empty")
    now = time.time() if now is None else now
    token = secrets.token_hex(16)
    expires = int(now) + COMPLETE_SECONDS
    signature = sign(derived_key(_PURPOSE), _PURPOSE, (token, extension), expires)
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings().site_bucket,
        Key=STAGING + token,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, MAX_IMAGE_BYTES]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return UploadForm(
        upload_id=f"{token}.{extension}.{expires}.{signature}",
        url=upload_endpoint(),
        fields=post["fields"],
        max_bytes=MAX_IMAGE_BYTES,
        expires_at=int(now) + UPLOAD_SECONDS,
    )


def complete_upload(upload_id: str, now: float | None = None) -> StoredImage:
    """Check what was uploaded for ``upload_id`` and publish it under media/; a bad upload is deleted."""
    token, extension = _verified(upload_id, now)
    s3, bucket = aws.client("s3"), settings().site_bucket
    key, name = STAGING + token, f"{token}.{extension}"
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if _code(exc) not in ("404", "NoSuchKey"):
            raise
        return _published(name)  # completed already (a retry after a lost answer), or never sent
    try:
        content_type = _checked(s3, bucket, key, head, extension)
        # Exactly the checked object (same ETag) is copied: a second POST meanwhile cannot slip through.
        s3.copy_object(
            Bucket=bucket,
            Key=PREFIX + name,
            CopySource={"Bucket": bucket, "Key": key},
            CopySourceIfMatch=head["ETag"],
            MetadataDirective="REPLACE",
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )
    except ImageRejectedError:
        s3.delete_object(Bucket=bucket, Key=key)
        raise
    except s3.exceptions.ClientError as exc:
        if _code(exc) != "PreconditionFailed":
            raise  # S3 unavailable, say: the upload stays and the same id can be completed again
        s3.delete_object(Bucket=bucket, Key=key)
        raise ImageRejectedError("image", "changed while it was checked: choose the image again") from None
    s3.delete_object(Bucket=bucket, Key=key)
    return StoredImage(name, content_type, head["ContentLength"], media_url(name))


def _verified(upload_id: str, now: float | None) -> tuple[str, str]:
    from functions.secrets import derived_key
    from functions.signing import SignatureError, verify

    parts = upload_id.split(".")
    if len(parts) != 4 or not re.fullmatch(r"[0-9a-f]{32}", parts[0]) or parts[1] not in EXTENSIONS.values():
        raise ImageRejectedError("upload_id", "is not an upload Chorus started")
    token, extension, expires, signature = parts
    try:
        verify(derived_key(_PURPOSE), _PURPOSE, (token, extension), expires, signature, now=now)
    except SignatureError as exc:
        if exc.reason != "expired":
            raise ImageRejectedError("upload_id", "is not an upload Chorus started") from None
        aws.client("s3").delete_object(Bucket=settings().site_bucket, Key=STAGING + token)
        raise ImageRejectedError("upload_id", "has expired: choose the image again") from None
    return token, extension


def _checked(s3: Any, bucket: str, key: str, head: dict[str, Any], extension: str) -> str:
    """The image's content type, once its size and first bytes are right; ImageRejectedError otherwise."""
    size = head["ContentLength"]
    if size > MAX_IMAGE_BYTES:
        raise ImageRejectedError("image", _TOO_BIG, 413)
    if size < 1:
        raise ImageRejectedError("image", "is empty")
    first = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_SNIFF_BYTES - 1}", IfMatch=head["ETag"])
    found, content_type = sniff(first["Body"].read())
    if found != extension:
        declared = next(kind for kind, ext in EXTENSIONS.items() if ext == extension)
        raise ImageRejectedError("image", f"is {content_type}, not {declared} as declared")
    return content_type


def _published(name: str) -> StoredImage:
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=settings().site_bucket, Key=PREFIX + name)
    except s3.exceptions.ClientError as exc:
        if _code(exc) not in ("404", "NoSuchKey"):
            raise
        raise UploadNotFoundError(name) from None
    return StoredImage(name, head["ContentType"], head["ContentLength"], media_url(name))


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def media_url(name: str) -> str:
    return f"{settings().site_base_url}/{PREFIX}{name}"


def own_media_url(url: str) -> str | None:
    """The site URL of one of our images, given that URL or the API's older one; None for anything else."""
    for base in (settings().site_base_url, settings().api_base_url):
        prefix = f"{base}/{PREFIX}"
        if url.startswith(prefix) and _NAME.fullmatch(url[len(prefix) :]):
            return media_url(url[len(prefix) :])
    return None


def legacy_location(name: str) -> str | None:
    """Where an image the API used to serve (``<api>/media/<name>``) lives now; None if it cannot be one."""
    if not _NAME.fullmatch(name) or settings().site_base_url == settings().api_base_url:
        return None  # on one origin (`make run`) the site answers /media/ itself
    return media_url(name)


def upload_endpoint() -> str:
    """Where the browser POSTs an image: the bucket's regional endpoint, or the local S3's bucket path.

    boto3 would name the global endpoint outside us-east-1, which redirects a new bucket's POSTs
    (and a browser's cross-origin POST cannot follow that redirect).
    """
    current = settings()
    if current.s3_endpoint_url:
        return f"{current.s3_endpoint_url}/{current.site_bucket}"
    return f"https://{current.site_bucket}.s3.{current.region}.amazonaws.com/"


def upload_origin() -> str:
    """The origin of ``upload_endpoint``, for the admin page's Content-Security-Policy."""
    parts = urlsplit(upload_endpoint())
    return f"{parts.scheme}://{parts.netloc}"
