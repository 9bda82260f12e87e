"""`make run` speaks HTTP as API Gateway and CloudFront do, on one keep-alive connection as real clients use it.

A HEAD answer never carries a body (a keep-alive client would read it as the next response), a method no
route takes is a 405 JSON error with Allow, a path no route has is a 404 JSON error, and a request whose
framing cannot be trusted is refused and its connection closed. Checked with raw sockets: whatever follows
an answer on the connection must be the next answer's status line.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RunningChorus

pytestmark = pytest.mark.e2e


class Connection:
    """One keep-alive HTTP/1.1 connection, read byte by byte as the server sent them."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buffer = b""

    def send(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in headers or {}):
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def response(self, head: bool = False) -> tuple[int, dict[str, str], bytes]:
        """The next response: status, headers and (unless it answers a HEAD) the body its length announces."""
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = raw.decode("latin-1").split("\r\n")
        assert status_line.startswith("HTTP/1."), f"not a status line: {status_line[:80]!r}"
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
        length = 0 if head else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed by the server; unread: {self.buffer[:120]!r}")
        self.buffer += chunk


@pytest.fixture
def connection(chorus: RunningChorus) -> Iterator[Connection]:
    opened = Connection(chorus.port)
    yield opened
    opened.sock.close()


def still_in_step(connection: Connection) -> None:
    """The next request on the connection gets its own answer: nothing was left over from the last one."""
    connection.send("GET", "/api/health")
    status, _, body = connection.response()
    assert (status, json.loads(body)) == (200, {"status": "ok"})


HEAD_PATHS = [
    "/NoSuchCode1",  # the short-link route's 404 page
    "/api/health",  # an app route that takes GET only
    "/api/feed?lang=en",
    "/en/",  # a page of the site
    "/en/no-such-page/",  # the site's 404 page
    "/dev/outbox",  # a route only `make run` has
    "/api/no/such/endpoint",  # no route at all
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_a_head_answer_carries_no_body_and_the_connection_stays_in_step(connection: Connection, path: str) -> None:
    connection.send("GET", path)
    get_status, get_headers, get_body = connection.response()
    connection.send("HEAD", path)
    status, headers, _ = connection.response(head=True)
    assert status == get_status or status == 405
    if status == get_status:  # the same answer, its length included, without the body
        assert headers["content-length"] == str(len(get_body))
        assert headers["content-type"] == get_headers["content-type"]
    still_in_step(connection)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/api/health", "GET"),
        ("TRACE", "/", "GET"),
        ("PATCH", "/api/health", "GET"),
        ("PATCH", "/api/admin/content", "GET, POST"),  # Allow sorted
        ("DELETE", "/api/leaderboard", "GET"),
        ("OPTIONS", "/api/health", "GET"),  # no CORS on this route: no preflight answer either
        ("PROPFIND", "/NoSuchCode1", "GET, HEAD"),
        ("BREW", "/api/feed", "GET"),
        ("HEAD", "/api/health", "GET"),
    ],
)
def test_a_method_the_route_does_not_take_is_a_405_json_error_with_allow(
    connection: Connection, method: str, path: str, allow: str
) -> None:
    connection.send(method, path)
    status, headers, body = connection.response(head=method == "HEAD")
    assert status == 405
    assert headers["allow"] == allow
    if method != "HEAD":
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["fields"] == {"method": f"{method} is not allowed here; use {allow}"}
    still_in_step(connection)


def test_a_cors_preflight_is_still_answered_where_the_route_allows_cors(connection: Connection) -> None:
    connection.send("OPTIONS", "/api/me", {"Origin": "https://site.example", "Access-Control-Request-Method": "GET"})
    status, headers, _ = connection.response()
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    still_in_step(connection)


@pytest.mark.parametrize("method", ["GET", "POST", "TRACE"])
def test_a_path_no_route_has_is_a_404_json_error(connection: Connection, method: str) -> None:
    connection.send(method, "/api/no/such/endpoint", {"Authorization": "Bearer \u00e9".encode().decode("latin-1")})
    status, headers, body = connection.response()
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"error": "not found", "fields": {"path": "is not an endpoint of this API"}}
    still_in_step(connection)


def test_a_chunked_body_is_read_as_its_chunks(chorus: RunningChorus, connection: Connection) -> None:
    employee_id, content_id = urlsplit(chorus.share_urls[0]).path.split("/")[2:4]
    body = json.dumps({"employee_id": employee_id, "content_id": content_id}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    headers = {
        "Authorization": f"Bearer {chorus.admin_token}",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    }
    connection.send("POST", "/api/admin/share-links", headers, chunked)
    status, _, answer = connection.response()
    assert status == 201 and set(json.loads(answer)["share_links"]) >= {"linkedin", "x"}
    still_in_step(connection)


@pytest.mark.parametrize(
    ("headers", "body", "status", "field"),
    [
        ({"Content-Length": "ten"}, b"", 400, "Content-Length"),
        ({"Content-Length": "-5"}, b"", 400, "Content-Length"),
        ({"Content-Length": "\u00b2"}, b"", 400, "Content-Length"),  # a digit to str.isdigit
        ({"Content-Length": str(11 * 1024 * 1024)}, b"", 413, "body"),
        ({"Transfer-Encoding": "chunked"}, b"zz\r\n", 400, "body"),  # not a chunk size
        ({"Transfer-Encoding": "chunked"}, b"-5\r\n", 400, "body"),  # a chunk size to int(x, 16)
    ],
)
def test_a_body_whose_framing_cannot_be_trusted_is_refused_and_the_connection_closed(
    connection: Connection, headers: dict[str, str], body: bytes, status: int, field: str
) -> None:
    connection.send("POST", "/api/suggestions", {"Content-Type": "application/json", **headers}, body)
    answer, response_headers, answer_body = connection.response()
    assert answer == status
    assert response_headers["connection"] == "close"
    assert field in json.loads(answer_body)["fields"]
    assert connection.closed_by_server()


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /api/feed?topic=a b c HTTP/1.1", 400),  # a space inside the target
        (b"GET /api/feed?topic=" + b"x" * 70_000 + b" HTTP/1.1", 414),
    ],
)
def test_a_request_http_server_cannot_parse_gets_a_json_error_and_a_closed_connection(
    connection: Connection, request_line: bytes, status: int
) -> None:
    connection.sock.sendall(request_line + b"\r\nHost: localhost\r\n\r\n")
    answer, headers, body = connection.response()
    assert answer == status
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    assert set(json.loads(body)) == {"error", "fields"}
    assert connection.closed_by_server()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Padding": "x" * 70_000}, 431),  # one header line longer than http.server reads
        ({f"X-Padding-{n}": "x" for n in range(150)}, 431),  # more headers than it takes
    ],
    ids=["a 70 KB header", "150 headers"],
)
def test_headers_too_large_to_read_get_a_431_json_error_and_a_closed_connection(
    connection: Connection, headers: dict[str, str], status: int
) -> None:
    connection.send("GET", "/api/health", headers)
    answer, answer_headers, body = connection.response()
    assert answer == status
    assert answer_headers["content-type"] == "application/json" and answer_headers["connection"] == "close"
    assert set(json.loads(body)) == {"error", "fields"}
    assert connection.closed_by_server()


BIG = "<script>" + "x" * 9_000  # under API Gateway's 10 KB of header values: it passes such a request on


@pytest.mark.parametrize(
    "path",
    [
        "/api/health",
        "/api/feed?lang=en",
        "/api/leaderboard?period=week",
        "/api/me",
        "/api/admin/content",
        "/NoSuchCode1",
        "/share/a/b/linkedin?exp=1&sig=x",
        "/unsubscribe?token=x",
        "/preferences?token=x",
        "/poll/p1?employee=a&score=1&exp=1&sig=x",
    ],
)
def test_oversized_header_values_and_query_strings_get_a_clear_answer_never_a_server_error(
    connection: Connection, path: str
) -> None:
    """A 9 KB Cookie, Authorization, User-Agent and Referer, then a 6 KB query string: each route answers with
    what it makes of them (a 4xx naming the problem, or its usual page), and the connection stays in step."""
    hostile = {"Cookie": BIG, "Authorization": "Employee " + BIG, "User-Agent": BIG, "Referer": "https://x/" + BIG}
    for headers in ({name: value} for name, value in hostile.items()):
        connection.send("GET", path, headers)
        status, answer_headers, body = connection.response()
        assert status < 500, (headers.keys(), status, body[:200])
        if status >= 400 and answer_headers["content-type"] == "application/json":
            assert set(json.loads(body)) == {"error", "fields"}, body[:200]
    separator = "&" if "?" in path else "?"
    connection.send("GET", f"{path}{separator}q={'%3Cscript%3E' * 500}")
    status, answer_headers, body = connection.response()
    assert status < 500, (status, body[:200])
    if status >= 400 and answer_headers["content-type"] == "application/json":
        assert set(json.loads(body)) == {"error", "fields"}, body[:200]
    still_in_step(connection)
