"""`make run`'s HTTP front door: Chalice's local server, made to speak HTTP as API Gateway does.

chalice.local answers HEAD with the body GET would send (a keep-alive client then reads it as the next
response), answers methods it has no ``do_`` for (TRACE, PROPFIND…) with http.server's 501 page, invents
an OPTIONS answer for routes without CORS, answers unknown paths with 403 "Missing Authentication Token"
(crashing on a non-ASCII Authorization header), and trusts Content-Length (or ignores chunked bodies,
leaving them on the connection as the next "request"). Deployed, API Gateway sends every other method of
a known path to the app (``x-amazon-apigateway-any-method`` in infra/template.yaml), whose Chalice answers
405, and its gateway responses turn an unknown path into a 404 and a body over 10 MB into a 413. Here:

* HEAD: the status and headers GET would get, Content-Length included, and never a body;
* any method, even one http.server has never heard of, goes to the app, which answers 405 JSON with Allow
  (OPTIONS too, unless the route has CORS and so a preflight answer);
* a path no route has: 404 JSON; a body over 10 MB: 413 JSON;
* a Content-Length that is not a number, or a chunked body that is not chunks: 400 JSON, and the
  connection is closed, since where the next request starts is unknown;
* the visitor's address (``requestContext.identity.sourceIp``, which chalice.local always sets to
  127.0.0.1) is the connection's peer, or, when the peer is this machine, the address the nearest proxy
  appended to ``X-Forwarded-For`` (see ``viewer_address``): tests and load generators play visitors from
  many networks that way, as CloudFront passes the viewer's address on;
* requests are served concurrently, one thread per connection (chalice.local's threaded server, with a
  deeper listen queue than http.server's 5 so a burst of new connections is not refused), at most
  ``APP_CONCURRENCY`` of them inside the app at once, as a function's reserved concurrency bounds it in AWS:
  one process runs one Python thread at a time and moto answers one AWS call at a time, so more requests
  in flight only add switching and take the counting run's share, while the others wait their turn. On a
  shared, busy 2-core machine, 10,000 clicks from 8 clients (bench/local_load.py): without the bound 104
  redirects/s and 4,661 of the clicks counted 30 s after the last; with it 130/s and 7,864; from 4 clients
  136/s and all of them within 27 s.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException, ThreadedHTTPServer

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_DECIMAL = re.compile(r"[0-9]{1,12}")  # not str.isdigit, which takes "²"
_HEX = re.compile(rb"[0-9A-Fa-f]{1,8}")  # not int(x, 16), which takes "-5" and "0x5"
APP_CONCURRENCY = 4  # requests inside the app at once (see the module's docstring)
_IN_THE_APP = threading.BoundedSemaphore(APP_CONCURRENCY)


class RefusedError(LocalGatewayException):
    """An answer the gateway gives itself, without the app: a JSON ``{"error", "fields"}`` body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__({"Content-Type": "application/json"}, json.dumps(body).encode())
        self.CODE = status


def gateway_response(resource: str) -> RefusedError:
    """The answer infra/template.yaml's gateway response ``resource`` makes API Gateway give."""
    from infra.resources import template

    properties = template()["Resources"][resource]["Properties"]
    return RefusedError(int(properties["StatusCode"]), json.loads(properties["ResponseTemplates"]["application/json"]))


def viewer_address(peer: str, forwarded_for: list[str] | None = None) -> str:
    """The address API Gateway would report as the visitor's, for a request from ``peer``.

    A proxy on this machine (a loopback peer: a test, a load generator, a local reverse proxy) is trusted
    as CloudFront is in AWS: the visitor is the last address of ``X-Forwarded-For`` (``forwarded_for``: the
    header's values in order), the one that proxy appended; the ones before it are whatever the client
    claimed. From any other peer the header is ignored, since anyone can send it: the visitor is the peer.
    A last entry that is not an IP address is ignored too.
    """
    if not _is_loopback(peer) or not forwarded_for:
        return peer
    claimed = ",".join(forwarded_for).rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(claimed))
    except ValueError:
        return peer


def _is_loopback(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(parsed, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return parsed.is_loopback or bool(mapped and mapped.is_loopback)


class Server(ThreadedHTTPServer):
    """chalice.local's server: a thread per connection (daemon threads, so Ctrl-C never waits for one)."""

    request_queue_size = 128


class Gateway(LocalGateway):
    source_ip = "127.0.0.1"  # the visitor's address for the request being handled (see viewer_address)

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        with _IN_THE_APP:
            return super().handle_request(method, path, headers, body)

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route matches the path
            raise gateway_response("UnknownPathResponse") from None
        event["requestContext"]["identity"]["sourceIp"] = self.source_ip
        return event

    def _has_user_defined_options_method(self, lambda_event: Any) -> bool:
        # Without CORS API Gateway has no OPTIONS method for the route: the app says 405, as for any other.
        route = self._app_object.routes[lambda_event["requestContext"]["resourcePath"]]
        return "OPTIONS" in route or all(view.cors is None for view in route.values())


class GatewayRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        # As ChaliceRequestHandler.__init__, with our gateway: http.server answers requests inside __init__.
        self.local_gateway: Gateway = Gateway(app_object, config)
        self._body: bytes | None = None
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # TRACE, PROPFIND, BREW…: the app decides (405), not http.server (501)
            return self._generic_handle
        raise AttributeError(name)

    def parse_request(self) -> bool:
        """After the request line and headers, read the body as framed, or refuse it and close."""
        if not super().parse_request():
            return False
        forwarded = self.headers.get_all("X-Forwarded-For")
        self.local_gateway.source_ip = viewer_address(self.client_address[0], forwarded)
        try:
            self._body = self._read_body()
        except RefusedError as refusal:
            self.close_connection = True
            self._send_error_response(refusal)
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, a URI over 64 KB, too many headers) in the
        API's error shape rather than an HTML page; the connection closes, as http.server always does here."""
        short, long = self.responses.get(code, ("Error", ""))
        body = json.dumps({"error": message or short, "fields": {"request": explain or long}}).encode()
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _parse_payload(self) -> tuple[dict[str, str], bytes | None]:
        return dict(self.headers), self._body

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if self.close_connection:
            error.headers["Connection"] = "close"
        super()._send_error_response(error)

    def _send_http_response_with_body(self, code: int, headers: Any, body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        self.send_response(code)
        self.send_header("Content-Length", str(len(body.encode() if isinstance(body, str) else body)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunks()
        declared = self.headers.get("Content-Length")
        if declared is None:
            return None
        if not _DECIMAL.fullmatch(declared.strip()):
            raise RefusedError(400, _error("invalid Content-Length", "Content-Length", "must be a whole number"))
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise gateway_response("BodyTooLargeResponse")
        return self.rfile.read(length) if length else None

    def _read_chunks(self) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(100).split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_line):
                raise RefusedError(400, _error("invalid chunked body", "body", "is not in chunks"))
            size = int(size_line, 16)
            if len(body) + size > MAX_BODY_BYTES:
                raise gateway_response("BodyTooLargeResponse")
            if size == 0:
                while self.rfile.readline(1000).strip():  # trailer fields, then the empty line
                    pass
                return body
            body += self.rfile.read(size)
            if self.rfile.read(2) != b"\r\n":
                raise RefusedError(400, _error("invalid chunked body", "body", "a chunk is longer than it says"))


def _error(message: str, field: str, problem: str) -> dict[str, Any]:
    return {"error": message, "fields": {field: problem}}
