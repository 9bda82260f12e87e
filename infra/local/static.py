"""Serve the generated site from the (moto) site bucket on `make run`'s one port, in front of the app.

In AWS the site bucket sits behind its own domain; locally one server answers both, so site paths
(``/``, ``/index.html``, ``/404.html``, ``/sitemap.xml``, ``/robots.txt``, ``/<lang>/…``, ``/assets/…``,
uploaded images at ``/media/…``) are read from the bucket with the Content-Type and Cache-Control stored
on each object, and everything else goes to the Chalice app.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from functions.config import LANGUAGES
from infra.local.gateway import GatewayRequestHandler

SITE_LANGUAGES = LANGUAGES
_SITE_FILES = r"index\.html|404\.html|sitemap\.xml|robots\.txt"
_SITE_PATH = re.compile(rf"^/(?:$|(?:{_SITE_FILES})$|assets/|media/|(?:{'|'.join(SITE_LANGUAGES)})(?:/|$))")


def object_key(path: str) -> str | None:
    """The bucket key for a URL path, or None when the path is not the site's."""
    path = unquote(path.split("?", 1)[0].split("#", 1)[0])  # keys are stored decoded, as S3 decodes them
    if not _SITE_PATH.match(path) or ".." in path or "//" in path or not path.isprintable():
        return None
    key = path.lstrip("/")
    if key == "" or key.endswith("/"):
        key += "index.html"
    return key


def handler_class(s3: Any, bucket: str) -> type[GatewayRequestHandler]:
    class SiteRequestHandler(GatewayRequestHandler):
        def _site(self) -> bool:
            key = object_key(self.path)
            if key is None:
                return False
            if "." not in key.rsplit("/", 1)[-1] and not key.startswith("media/"):  # "/en" → "/en/", as S3
                # website hosting and CloudFront do (an image's name always has its extension: no folder)
                self._send_http_response(301, {"Location": self.path.split("?", 1)[0] + "/"}, None)
                return True
            status, found = 200, _get(s3, bucket, key)
            if found is None:
                status, found = 404, _get(s3, bucket, "404.html")
                if found is None:
                    return False  # no site built yet: the app answers
            body, headers = found
            self._send_http_response(status, headers, body)  # to a HEAD: GET's headers, length included, no body
            return True

        def do_GET(self) -> None:
            if not self._site():
                self._generic_handle()

        do_HEAD = do_GET

    return SiteRequestHandler


def _get(s3: Any, bucket: str, key: str) -> tuple[bytes, dict[str, str]] | None:
    try:
        found = s3.get_object(Bucket=bucket, Key=key)
    except s3.exceptions.NoSuchKey:
        return None
    headers = {"Content-Type": found.get("ContentType", "application/octet-stream")}
    if found.get("CacheControl"):
        headers["Cache-Control"] = found["CacheControl"]
    return found["Body"].read(), headers
