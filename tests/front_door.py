"""The lean front door (functions/links/front_door.py) driven like chalice.test.Client's ``http``.

``FrontDoorClient`` builds the event a Lambda Function URL delivers (payload format 2.0) as it arrives
from the CloudFront distribution: lower-case header names, CloudFront's own address as the connection's,
the viewer's in ``CloudFront-Viewer-Address`` and the origin secret the distribution adds. Its responses
look like the Chalice test client's, so one test can run against both entry points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bench.latency import function_url_event

ORIGIN_SECRET = "test-origin-secret-0123456789"
CLOUDFRONT_IP = "130.176.1.10"  # an address CloudFront connects to the origin from
VIEWER_IP = "127.0.0.1"  # the address chalice.test.Client gives every request


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: dict[str, str]
    body: bytes


class Context:
    function_name = "chorus-dev-front-door"
    memory_limit_in_mb = 512

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())


class FrontDoorClient:
    """Requests as CloudFront forwards them (``through_cloudfront=False``: someone calling the URL directly)."""

    def __init__(self, viewer_ip: str = VIEWER_IP, through_cloudfront: bool = True) -> None:
        self.viewer_ip = viewer_ip
        self.through_cloudfront = through_cloudfront

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Response:
        from functions.links import front_door

        sent = dict(headers or {})
        source_ip = self.viewer_ip
        if self.through_cloudfront:
            sent.update({"X-Chorus-Origin": ORIGIN_SECRET, "CloudFront-Viewer-Address": f"{self.viewer_ip}:46532"})
            source_ip = CLOUDFRONT_IP
        result = front_door.handler(function_url_event(method, path, sent, source_ip), Context())
        assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"} and not result["isBase64Encoded"]
        return Response(result["statusCode"], result["headers"], result["body"].encode())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers)
