"""Import by URL against a real HTTP server on 127.0.0.1, reachable only through the test allowance."""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from functions.content.importer import PageImportError, import_url
from functions.web.fetch import (
    FEED_POLICY,
    EncodingRefusedError,
    FetchPolicy,
    HTTPStatusError,
    InvalidURLError,
    NotHTMLError,
    RefusedAddressError,
    TooManyRedirectsError,
    UnreachableError,
    fetch_page,
)
from tests.conftest import ROOT

TESTS = FetchPolicy(allow_loopback_for_tests=True)
QUICK = FetchPolicy(allow_loopback_for_tests=True, total_timeout=0.4)
SMALL = FetchPolicy(allow_loopback_for_tests=True, max_bytes=64 * 1024)

LAUNCH = """<!doctype html>
<html lang="pl-PL"><head>
<meta charset="utf-8">
<title>Dzień premiery | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:title" content="Dzień premiery: Chorus 1.0">
<meta property="og:description" content="Co nowego &amp; dlaczego to ważne.">
<meta property="og:image" content="/img/launch.png">
<link rel="canonical" href="https://news.example.com/2026/launch">
</head><body><h1>Dzień premiery</h1></body></html>"""

Route = Callable[[BaseHTTPRequestHandler], None]


class Site:
    """A local web server: each path answers as the test says, and every request is recorded."""

    def __init__(self, server: ThreadingHTTPServer, scheme: str = "http") -> None:
        self.server = server
        self.scheme = scheme
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        self.sni: list[str | None] = []  # the names TLS clients asked for

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


class Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        site: Site = self.server.site
        site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(self.path.split("?", 1)[0])
        try:
            if route is None:
                send(self, b"<title>Not here</title>", status=404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the fetcher hung up, as it should once it has enough

    def log_message(self, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def page(markup: str, **kwargs: Any) -> Route:
    return lambda handler: send(handler, markup.encode(), **kwargs)


def redirect(location: str, status: int = 302, headers: dict[str, str] | None = None) -> Route:
    return lambda handler: send(handler, b"", status=status, headers={"Location": location, **(headers or {})})


@contextlib.contextmanager
def serving(server: Server, scheme: str = "http") -> Iterator[Site]:
    site = Site(server, scheme)
    server.site = site  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.stop.set()
        server.shutdown()
        server.server_close()


class Resolver:
    """A DNS answering 127.0.0.1 for one name (then ``later``, as a rebinding attacker would); others as usual."""

    def __init__(self, name: str, later: str = "127.0.0.1") -> None:
        self.name = name
        self.later = later
        self.asked = 0
        self.real = socket.getaddrinfo

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        address = "127.0.0.1" if self.asked == 1 else self.later
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def site() -> Iterator[Site]:
    with serving(Server(("127.0.0.1", 0), Handler)) as local:
        yield local


def test_a_page_with_open_graph_tags_is_imported(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("news.chorus.test"))
    site.routes["/2026/launch"] = page(LAUNCH)
    imported = import_url(site.url("/2026/launch", host="news.chorus.test"), policy=TESTS)
    assert imported.url == "https://news.example.com/2026/launch"
    assert imported.title == "Dzień premiery: Chorus 1.0"
    assert imported.summary == "Co nowego & dlaczego to ważne."
    assert imported.image_url == site.url("/img/launch.png", host="news.chorus.test")
    assert (imported.language, imported.site_name) == ("pl", "Example News")
    _path, headers = site.requests[0]
    assert "cookie" not in headers and "authorization" not in headers
    assert headers["host"] == f"news.chorus.test:{site.port}"


def test_a_redirect_chain_is_followed_hop_by_hop(site: Site) -> None:
    site.routes["/old"] = redirect("/older", 301)
    site.routes["/older"] = redirect(site.url("/news?id=7"), 302)
    site.routes["/news"] = redirect("launch", 303)
    site.routes["/launch"] = redirect("/2026/launch#top", 307)
    site.routes["/2026/launch"] = page(LAUNCH)
    fetched = fetch_page(site.url("/old"), policy=TESTS)
    assert fetched.final_url == site.url("/2026/launch")
    assert fetched.redirects == (
        site.url("/older"),
        site.url("/news?id=7"),
        site.url("/launch"),
        site.url("/2026/launch#top"),
    )
    assert [path for path, _ in site.requests] == ["/old", "/older", "/news?id=7", "/launch", "/2026/launch"]
    assert "Chorus 1.0" in fetched.text


def test_five_redirects_are_followed_and_a_sixth_is_refused(site: Site) -> None:
    for hop in range(1, 7):
        site.routes[f"/hop/{hop}"] = redirect(f"/hop/{hop - 1}", 308)
    site.routes["/hop/0"] = page(LAUNCH)
    assert fetch_page(site.url("/hop/5"), policy=TESTS).final_url == site.url("/hop/0")
    with pytest.raises(TooManyRedirectsError, match="more than 5"):
        fetch_page(site.url("/hop/6"), policy=TESTS)
    site.routes["/loop"] = redirect("/loop")
    with pytest.raises(PageImportError, match="too many redirects") as raised:
        import_url(site.url("/loop"), policy=TESTS)
    assert raised.value.reason == "too_many_redirects"


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://100.64.0.1/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused_even_with_the_loopback_allowance(site: Site, target: str) -> None:
    site.routes["/go"] = redirect(target)
    with pytest.raises(PageImportError, match="refused address") as raised:
        import_url(site.url("/go"), policy=TESTS)
    assert raised.value.reason == "refused_address"


def test_a_redirect_to_another_scheme_is_refused(site: Site) -> None:
    site.routes["/go"] = redirect("file:///etc/passwd")
    with pytest.raises(InvalidURLError, match="http or https"):
        fetch_page(site.url("/go"), policy=TESTS)


def test_without_the_allowance_the_local_server_itself_is_refused(site: Site) -> None:
    site.routes["/2026/launch"] = page(LAUNCH)
    for url in (site.url("/2026/launch"), site.url("/2026/launch", host="localhost")):
        with pytest.raises(PageImportError, match="refused address") as raised:
            import_url(url)
        assert raised.value.reason == "refused_address"
    assert site.requests == []


def test_the_allowance_never_leaks_into_the_imported_url(site: Site) -> None:
    site.routes["/bare"] = page("<title>No canonical here</title>")
    with pytest.raises(PageImportError, match="invalid URL") as raised:
        import_url(site.url("/bare"), policy=TESTS)
    assert raised.value.reason == "invalid_url"


def never_answers(handler: BaseHTTPRequestHandler) -> None:
    handler.server.site.stop.wait(5)  # type: ignore[attr-defined]


def drips(length: str | None) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        if length:
            handler.send_header("Content-Length", length)
        handler.end_headers()
        handler.wfile.write(b"<html><head>")
        while not handler.server.site.stop.wait(0.05):  # type: ignore[attr-defined]
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return route


@pytest.mark.parametrize("route", [never_answers, drips(None), drips("100000")], ids=["silent", "drip", "drip-len"])
def test_a_slow_server_times_out_within_the_budget(site: Site, route: Route) -> None:
    site.routes["/slow"] = route
    started = time.monotonic()
    with pytest.raises(PageImportError, match=r"timed out: the page did not load within 0\.4 seconds") as raised:
        import_url(site.url("/slow"), policy=QUICK)
    assert raised.value.reason == "timeout"
    assert time.monotonic() - started < 1.0


def test_an_oversized_page_is_cut_at_the_cap_and_still_imports(site: Site) -> None:
    site.routes["/big"] = page(LAUNCH.replace("<h1>", "<p>" + "lorem ipsum " * 100_000 + "</p><h1>"))
    fetched = fetch_page(site.url("/big"), policy=SMALL)
    assert fetched.truncated and len(fetched.body) == SMALL.max_bytes
    assert import_url(site.url("/big"), policy=SMALL).title == "Dzień premiery: Chorus 1.0"


def test_an_oversized_page_without_metadata_in_the_first_bytes_is_too_large(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("news.chorus.test"))
    site.routes["/huge-head"] = page("<html><head><style>" + "b{}" * 100_000 + "</style>" + LAUNCH)
    with pytest.raises(PageImportError, match=r"too large: the page is over 0\.0625 MB") as raised:
        import_url(site.url("/huge-head", host="news.chorus.test"), policy=SMALL)
    assert raised.value.reason == "too_large"


def test_a_compressed_page_is_capped_after_decompression(site: Site) -> None:
    bomb = gzip.compress(b"<html><head><title>Bomb</title>" + b" " * 20_000_000)
    site.routes["/bomb"] = lambda handler: send(handler, bomb, headers={"Content-Encoding": "gzip"})
    fetched = fetch_page(site.url("/bomb"), policy=SMALL)
    assert fetched.truncated and len(fetched.body) == SMALL.max_bytes
    assert fetched.text.startswith("<html><head><title>Bomb</title>")


@pytest.mark.parametrize(
    ("encoding", "headers"),
    [
        ("gzip, gzip", [("Content-Encoding", "gzip, gzip")]),
        ("gzip, deflate", [("Content-Encoding", "gzip"), ("Content-Encoding", "deflate")]),
    ],
)
def test_a_page_compressed_more_than_once_is_refused_unread(
    site: Site, encoding: str, headers: list[tuple[str, str]]
) -> None:
    layered = gzip.compress(gzip.compress(b"<html><head><title>Layers</title>" + b" " * 5_000_000))
    if "deflate" in encoding:
        layered = zlib.compress(gzip.compress(b"<html><head><title>Layers</title>" + b" " * 5_000_000))

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(layered)))
        handler.end_headers()
        handler.wfile.write(layered)

    site.routes["/layers"] = answer
    with pytest.raises(EncodingRefusedError, match="only one Content-Encoding"):
        fetch_page(site.url("/layers"), policy=TESTS)


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json", ""])
def test_a_non_html_response_is_refused(site: Site, content_type: str) -> None:
    site.routes["/file"] = lambda handler: send(handler, b"%PDF-1.7" * 1000, content_type=content_type)
    with pytest.raises(PageImportError, match="not HTML: the page is") as raised:
        import_url(site.url("/file"), policy=TESTS)
    assert raised.value.reason == "not_html"
    with pytest.raises(NotHTMLError):
        fetch_page(site.url("/file"), policy=TESTS)


@pytest.mark.parametrize(("status", "words"), [(404, "404 Not Found"), (500, "500 Internal Server Error")])
def test_an_http_error_status_is_reported(site: Site, status: int, words: str) -> None:
    site.routes["/gone"] = page("<title>Oops</title>", status=status)
    with pytest.raises(PageImportError, match=f"HTTP error: the page answered {words}") as raised:
        import_url(site.url("/gone"), policy=TESTS)
    assert raised.value.reason == "http_status"
    with pytest.raises(HTTPStatusError) as fetch_raised:
        fetch_page(site.url("/gone"), policy=TESTS)
    assert fetch_raised.value.status == status


def test_a_redirect_without_a_location_is_an_http_error(site: Site) -> None:
    site.routes["/nowhere"] = page("", status=302)
    with pytest.raises(HTTPStatusError, match="302 Found without saying where to"):
        fetch_page(site.url("/nowhere"), policy=TESTS)


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PageImportError, match="unreachable") as raised:
        import_url(f"http://127.0.0.1:{port}/", policy=TESTS)
    assert raised.value.reason == "unreachable"


def test_no_cookie_is_carried_from_hop_to_hop(site: Site) -> None:
    site.routes["/login"] = redirect("/2026/launch", headers={"Set-Cookie": "session=secret; Path=/"})
    site.routes["/2026/launch"] = page(LAUNCH, headers={"Set-Cookie": "other=1"})
    fetch_page(site.url("/login"), policy=TESTS)
    fetch_page(site.url("/2026/launch"), policy=TESTS)
    assert all("cookie" not in headers for _path, headers in site.requests)


def test_the_charset_of_the_content_type_header_is_used(site: Site) -> None:
    title = "Съешь же ещё этих мягких французских булок"
    body = f"<html lang='ru'><head><title>{title}</title></head></html>".encode("koi8-r")
    site.routes["/ru"] = lambda handler: send(handler, body, content_type="text/html; charset=KOI8-R")
    fetched = fetch_page(site.url("/ru"), policy=TESTS)
    assert title in fetched.text and fetched.content_type == "text/html"


def test_the_connection_is_pinned_to_the_checked_address_so_dns_rebinding_misses(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = Resolver("news.chorus.test", later="10.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    site.routes["/2026/launch"] = page(LAUNCH)
    fetched = fetch_page(site.url("/2026/launch", host="news.chorus.test"), policy=TESTS)
    assert "Chorus 1.0" in fetched.text
    assert resolver.asked == 1
    assert site.requests[0][1]["host"] == f"news.chorus.test:{site.port}"


def self_signed(host: str, directory: Path) -> tuple[Path, Path]:
    """A certificate for ``host`` and its key, as PEM files."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{host}.pem", directory / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """An HTTPS server on 127.0.0.1 with a certificate for news.chorus.test, which the fetcher trusts."""
    cert, key = self_signed("news.chorus.test", tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the fetcher's default trust store, for this test only
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("news.chorus.test"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server, "https") as tls:
        context.sni_callback = lambda _sock, name, _context: tls.sni.append(name)  # type: ignore[assignment]
        yield tls


def test_https_uses_the_host_name_for_sni_and_the_certificate_while_connecting_to_the_checked_ip(
    tls_site: Site,
) -> None:
    tls_site.routes["/2026/launch"] = page(LAUNCH)
    imported = import_url(tls_site.url("/2026/launch", host="news.chorus.test"), policy=TESTS)
    assert imported.image_url == f"https://news.chorus.test:{tls_site.port}/img/launch.png"
    assert tls_site.sni == ["news.chorus.test"]


def test_a_certificate_for_another_name_is_refused(tls_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", Resolver("other.chorus.test"))
    tls_site.routes["/"] = page(LAUNCH)
    with pytest.raises(UnreachableError, match=r"other\.chorus\.test did not prove its identity over TLS"):
        fetch_page(tls_site.url("/", host="other.chorus.test"), policy=TESTS)


def test_only_tests_ever_turn_the_loopback_allowance_on() -> None:
    mentions = [
        path.relative_to(ROOT)
        for directory in ("functions", "infra", "bench")
        for path in (ROOT / directory).rglob("*.py")
        if "allow_loopback_for_tests" in path.read_text(encoding="utf-8")
    ]
    assert [str(path) for path in mentions] == ["functions/web/fetch.py"]
    assert "allow_loopback_for_tests" not in (ROOT / "app.py").read_text(encoding="utf-8")
    source = (ROOT / "functions/web/fetch.py").read_text(encoding="utf-8")
    assert "os.environ" not in source and "getenv" not in source
    with pytest.raises(RefusedAddressError):
        fetch_page("http://127.0.0.1:8000/")


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><title>Launch</title><link>https://blog.example.com/launch</link></item></channel></rss>"""


def test_feeds_are_read_with_the_feed_policy_and_pages_with_the_html_one(site: Site) -> None:
    site.routes["/rss"] = page(RSS.decode(), content_type="application/rss+xml; charset=utf-8")
    feed_policy = replace(FEED_POLICY, allow_loopback_for_tests=True)
    assert fetch_page(site.url("/rss"), policy=feed_policy).body == RSS
    with pytest.raises(NotHTMLError, match="only HTML pages can be imported"):
        fetch_page(site.url("/rss"), policy=TESTS)
    site.routes["/zip"] = page("PK", content_type="application/zip")
    with pytest.raises(NotHTMLError, match="not a feed: the address serves application/zip"):
        fetch_page(site.url("/zip"), policy=feed_policy)


@pytest.fixture
def admin_api(client: Any) -> Callable[[object], Any]:
    from functions.admin.tokens import AdminTokenStore

    token = AdminTokenStore().create("comms")

    def post(body: object) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return client.http.post("/api/admin/content/import-url", headers=headers, body=json.dumps(body))

    return post


def test_the_admin_api_prefills_the_form_from_the_page(
    site: Site, admin_api: Callable[[object], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.content import importer

    monkeypatch.setattr(importer, "import_url", functools.partial(importer.import_url, policy=TESTS))
    site.routes["/2026/launch"] = page(LAUNCH)
    response = admin_api({"url": site.url("/2026/launch")})
    assert response.status_code == 200
    assert response.json_body == {
        "url": "https://news.example.com/2026/launch",
        "title": "Dzień premiery: Chorus 1.0",
        "summary": "Co nowego & dlaczego to ważne.",
        "image_url": None,  # on 127.0.0.1: never offered as an image to register
        "language": "pl",
        "site_name": "Example News",
    }


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, 422, "refused address"),
        ({"url": "http://127.0.0.1:8000/admin"}, 422, "refused address"),
        ({"url": "ftp://example.com/file"}, 422, "must use http or https"),
        ({}, 400, "required"),
        ({"url": 5}, 400, "string"),
    ],
)
def test_the_admin_api_refuses_private_addresses_and_bad_bodies(
    admin_api: Callable[[object], Any], body: object, status: int, says: str
) -> None:
    response = admin_api(body)
    assert response.status_code == status
    assert says in response.json_body["fields"]["url"].lower()
