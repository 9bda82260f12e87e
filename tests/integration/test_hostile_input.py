"""Every route, fed what an attacker or a broken client sends: never a 5xx, always a clear error, no half-writes.

The routes are read from the app itself (blueprints included) and each one's parameters and body from
/api/openapi.json, so a new route is fuzzed without anyone adding it here. Each request changes one thing
of an otherwise valid request (made with a valid admin or employee token, so the handler is reached, not
only the 401): path parameters (very long, percent-encoded, odd characters), query parameters (wrong
types, repeated, huge, not UTF-8), the body (not JSON, nested 100,000 deep, each field null or of the
wrong type or huge, invalid UTF-8, the wrong Content-Type, CSV that is binary or oddly encoded), and the
Authorization header. DynamoDB's key limits are enforced as AWS does (tests/dynamodb_limits.py), and
the network is closed, so nothing here can reach outside.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, World, short_code_from_intent

LONG = "a" * 3000
PATH_VALUES = (
    LONG,
    "%C3%A9" * 700,  # é, 1,400 bytes once decoded
    "%00",
    "%FF%FE",
    "%2F",
    "%25",
    "..",
    "a%20b",
    "%0D%0AX-Injected:%201",
    "%F0%9F%98%80",
    "%3Cscript%3E",
    "{x}",
    "~!$&'()*+,;=:@",
)
QUERY_VALUES = (
    "",
    "%FF",
    "%00",
    "%C3%A9" * 2000,
    "x" * 10_000,
    "-1",
    "0",
    "1.5",
    "1e9",
    "99999999999999999999",
    "%0A",
    "true",
    "%5B%5D",
)
AUTHORIZATION = (
    "Bearer",
    "Bearer ",
    "Bearer chorus_adm_" + "x" * 10_000,
    "bearer chorus_adm_x",
    "Employee",
    "Employee ",
    "Employee a.b.c",
    "Employee " + "x" * 10_000,
    "Basic YWRtaW46YWRtaW4=",
    "Bearer \u00e9\u00e9",
    "Employee \u00e9.\u00e9",
)
HEADERS = (
    ("Accept-Language", "x" * 5000),
    ("Accept-Language", ";q=;,;-,*;q=abc"),
    ("If-None-Match", '"' * 1000),
    ("If-None-Match", "W/, , *"),
    ("User-Agent", "Mozilla/5.0 " + "x" * 8000),
    ("User-Agent", ""),
    ("Referer", "http://["),
    ("Referer", "javascript:alert(1)"),
    ("Referer", "https://" + "a." * 3000 + "com/"),
    ("CloudFront-Viewer-Country", "<script>"),
    ("CloudFront-Viewer-Country", "x" * 1000),
    ("X-Forwarded-For", "not-an-ip, ::::, 999.1.1.1"),
    ("Accept", "image/webp"),
    ("Accept", "*/*;q=abc"),
)
FIELD_VALUES: tuple[Any, ...] = (
    None,
    0,
    -1,
    1.5,
    10**30,
    True,
    "",
    " ",
    "x",
    "x" * 200_000,
    "\u00e9" * 5000,
    "\u0000",
    "<script>alert(1)</script>",
    [],
    [None],
    [1],
    ["a"] * 1000,
    ["x" * 10_000],
    {},
    {"a": None},
    {"linkedin": None},
    {"linkedin": [None, 1]},
    {"$gt": ""},
    [[[[[[[[[["deep"]]]]]]]]]],
)
RAW_BODIES = (
    b"[" * 100_000,
    b'{"a":' * 100_000,
    b"{" * 100_000,
    b"null",
    b"[]",
    b'"text"',
    b"1",
    b"true",
    b"",
    b"{",
    b"\xff\xfe\xfd",
    b"\xef\xbb\xbf{}",
    b"NaN",
    b'{"a": NaN}',
    b'{"a": 1e999}',
    b"1" * 5000,
    b"[" + b"1," * 200_000 + b"1]",
    b'{"x": "\\ud800"}',
    b'{"a": 1, "a": 2}',
)
CSV_BODIES = (
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "email,name,team\nada@example.com,Ada,R&D\n".encode("utf-16"),
    b"\xef\xbb\xbfemail,name,team\nada@example.com,Ada,R&D\n",
    "email,name,team\nzoe@example.com,Zo\u00eb,R\u00e9seau\n".encode("latin-1"),
    b"email,name,team\nbig@example.com," + b"n" * 1_000_000 + b",Sales\n",
    b"email,name,team\n" + b"x," * 50_000 + b"\n",
    b'email,name,team\n"unclosed,Ada,Sales\n',
    b"email,name,team\nnul@example.com,A\x00da,Sales\n",
    b"email,name,team\r\rcr@example.com,Cr,Sales\r",
    b"email,name,team\n=cmd|' /C calc'!A0,=1+1,@SUM(1)\n",
    b"",
    b"\n\n\n",
    b"email\n",
)
FORM_BODIES = (
    b"\xff\xfe=\xfd",
    b"token=" + b"x" * 9_000,
    b"token=%FF&cadence=%00",
    b"&&&===",
    b"token=a&token=b&cadence=weekly&weekday=" + b"x" * 5000,
    b"x" * 20_000,
)


# --- the defects issue 10 named, one test each ---


def test_a_body_nested_100000_deep_is_a_400_naming_the_body(client: Any, world: World) -> None:
    from functions.directory.tokens import employee_token

    headers = {"Content-Type": "application/json", "Authorization": f"Employee {employee_token(world.employee_id)}"}
    response = client.http.post("/api/suggestions", headers=headers, body=b"[" * 100_000)
    assert response.status_code == 400
    assert response.json_body["fields"]["body"].startswith("is not valid JSON")


@pytest.mark.parametrize("field", ["topics", "share_texts", "title", "url", "summary", "important", "publish_start"])
def test_null_for_a_field_an_item_cannot_be_without_is_a_400_naming_it(client: Any, world: World, field: str) -> None:
    from functions.admin.tokens import AdminTokenStore

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {AdminTokenStore().create('t')}"}
    before = client.http.get(f"/api/admin/content/{world.content_id}", headers=headers).json_body
    response = client.http.put(
        f"/api/admin/content/{world.content_id}", headers=headers, body=json.dumps({field: None})
    )
    assert response.status_code == 400
    assert response.json_body["fields"] == {field: "cannot be null: leave the field out to keep its value"}
    assert client.http.get(f"/api/admin/content/{world.content_id}", headers=headers).json_body == before


def test_null_clears_the_image_the_campaign_and_the_end_of_the_window(client: Any, world: World) -> None:
    from functions.admin.tokens import AdminTokenStore

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {AdminTokenStore().create('t')}"}
    path = f"/api/admin/content/{world.content_id}"
    set_all = {"image_url": "https://www.example.com/i.png", "publish_end": "2099-01-01T00:00:00Z"}
    assert client.http.put(path, headers=headers, body=json.dumps(set_all)).json_body["campaign"] == "autumn"
    cleared = {"image_url": None, "campaign": None, "publish_end": None}
    item = client.http.put(path, headers=headers, body=json.dumps(cleared)).json_body
    assert (item["image_url"], item["campaign"], item["publish_end"]) == (None, None, None)


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_a_number_is_not_a_date(client: Any, value: Any) -> None:
    """pydantic alone reads 0 as 1970-01-01: an item that expired before it was written, silently."""
    from functions.admin.tokens import AdminTokenStore

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {AdminTokenStore().create('t')}"}
    body = {"url": "https://www.example.com/a", "title": "A", "publish_end": value}
    response = client.http.post("/api/admin/content", headers=headers, body=json.dumps(body))
    assert response.status_code == 400
    assert response.json_body["fields"] == {"publish_end": "must be an ISO 8601 date-time, e.g. 2026-11-22T09:00:00Z"}


def test_chalice_s_own_refusals_speak_the_api_s_error_shape(client: Any) -> None:
    wrong_type = client.http.post("/api/suggestions", headers={"Content-Type": "text/plain"}, body=b"{}")
    assert wrong_type.status_code == 415
    assert wrong_type.json_body["fields"] == {"Content-Type": "must be application/json"}
    wrong_method = client.http.request("PATCH", "/api/health")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"
    assert wrong_method.json_body["fields"] == {"method": "PATCH is not allowed here; use GET"}


def test_an_id_too_long_to_exist_is_a_404_where_dynamodb_would_refuse_the_key(client: Any, world: World) -> None:
    from functions import aws
    from tests.dynamodb_limits import enforce_key_limits

    enforce_key_limits(aws.dynamodb())
    response = client.http.get("/api/content/" + "a" * 3000)
    assert response.status_code == 404
    assert "content_id" in response.json_body["fields"]


@dataclass
class Hostile:
    """One request of the fuzz: what differs from a valid request, and the request itself."""

    what: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    schema_refuses: bool = False  # the request breaks the schema /api/openapi.json publishes


@dataclass
class Arena:
    client: Any
    admin: str
    employee: str
    ids: dict[str, str]
    document: dict[str, Any]
    written: list[str]
    queries: dict[str, dict[str, str]]  # path -> the query a valid request carries
    forms: dict[str, dict[str, str]]  # path -> the form a valid request sends
    files: dict[str, bytes]  # path -> the file (CSV, image) a valid request sends


@pytest.fixture(scope="module")
def arena() -> Iterator[Arena]:
    """An account with something behind every id a route takes, tokens that work, and no network."""
    from chalice.test import Client

    import app
    from functions import aws
    from functions.admin.tokens import AdminTokenStore
    from functions.api.openapi import document
    from functions.content import feed_sources, images, suggestions
    from functions.content.model import new_content
    from functions.content.store import ContentStore
    from functions.digest.preferences import unsubscribe_token
    from functions.directory.model import Employee, employee_id_for
    from functions.directory.store import EmployeeStore
    from functions.directory.tokens import employee_token, preferences_token
    from functions.polls.links import poll_path
    from functions.shares.service import share_path
    from infra.local.sandbox import in_process_account, seed_sharer
    from tests.dynamodb_limits import enforce_key_limits

    with pytest.MonkeyPatch.context() as patch, in_process_account():
        patch.setattr(socket, "getaddrinfo", _no_network)
        patch.setattr(socket.socket, "connect", _no_network)
        enforce_key_limits(aws.dynamodb())
        written: list[str] = []
        record_writes([aws.dynamodb(), *(aws.client(name) for name in ("s3", "sqs", "ses", "ssm"))], written)
        sharer, content = seed_sharer()
        target = Employee(id=employee_id_for("bob@example.com"), email="bob@example.com", name="Bob", team="Sales")
        EmployeeStore().put(target)
        ContentStore().add(new_content(content_id="target", url="https://www.example.com/a", title="A target"))
        suggested = [suggestions.suggest(sharer.id, f"https://www.example.com/{n}", "worth a read") for n in "ab"]
        source = feed_sources.add_feed_source("https://www.example.com/news.rss", added_by="admin:test")
        upload = images.start_upload("image/png")  # and the file sent, as the browser sends it to S3
        aws.client("s3").put_object(
            Bucket=os.environ["SITE_BUCKET"],
            Key=images.STAGING + upload.upload_id.split(".", 1)[0],
            Body=b"\x89PNG\r\n\x1a\n" + bytes(64),
            ContentType="image/png",
        )
        share = share_path(sharer.id, content.id, "linkedin")
        poll = poll_path(sharer.id, "enps-2026Q4", 8)  # the digest's answer link for 8
        token = employee_token(sharer.id)
        preferences = preferences_token(sharer.id)
        with Client(app.app, project_dir=str(ROOT)) as client:
            code = short_code_from_intent(client.http.get(share).headers["Location"])
            yield Arena(
                client=client,
                admin=AdminTokenStore().create("fuzz"),
                employee=token,
                ids={
                    "content_id": "target",
                    "employee_id": target.id,
                    "suggestion_id": suggested[0].id,
                    "rejected_suggestion_id": suggested[1].id,
                    "source_id": source.id,
                    "code": code,
                    "network": "linkedin",
                    "name": "0123456789abcdef0123456789abcdef.png",
                    "public_content_id": content.id,
                    "sharer_id": sharer.id,
                    "upload_id": upload.upload_id,
                    "poll_id": "enps-2026Q4",
                },
                document=document(app.app.routes),
                written=written,
                queries={
                    "/share/{employee_id}/{content_id}/{network}": dict(parse_qsl(urlsplit(share).query)),
                    "/unsubscribe": {"token": unsubscribe_token(sharer.id)},
                    "/preferences": {"token": preferences},
                    "/api/me/share-links": {"content_ids": f"{content.id},target"},
                    "/poll/{poll_id}": dict(parse_qsl(urlsplit(poll).query)),
                    "/api/admin/kpis.csv": {"table": "headline"},
                },
                forms={
                    "/preferences": {"token": preferences, "cadence": "weekly", "weekday": "monday", "language": "en"},
                    "/unsubscribe": {"List-Unsubscribe": "One-Click"},
                    "/poll/{poll_id}": {"score": "9"},  # the value picked on the page
                },
                files={
                    "/api/admin/employees/import": b"email,name,team\ncarol@example.com,Carol,Sales\n",
                },
            )


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise OSError("the network is closed in this test")


def routes() -> list[tuple[str, str]]:
    import app

    return sorted((method, path) for path, methods in app.app.routes.items() for method in methods)


def test_every_route_is_fuzzed() -> None:
    """The parametrisation below is the app's own route table: nothing can be added without being fuzzed."""
    import app

    fuzzed = {f"{method} {path}" for method, path in routes()}
    assert fuzzed == {f"{m} {p}" for p, methods in app.app.routes.items() for m in methods}
    assert len(fuzzed) >= 35


def test_the_fuzz_sees_writes_and_key_limits(arena: Arena) -> None:
    """The two instruments the fuzz relies on work: an accepted request's writes are seen, and so is a key
    DynamoDB would refuse."""
    from botocore.exceptions import ClientError

    from functions import aws

    arena.written.clear()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {arena.admin}"}
    body = json.dumps({"title": "Seen", "url": "https://www.example.com/seen"})
    assert arena.client.http.post("/api/admin/content", headers=headers, body=body).status_code == 201
    assert arena.written == ["PutItem"]
    with pytest.raises(ClientError, match="ValidationException"):
        aws.dynamodb().get_item(TableName=os.environ["CONTENT_TABLE"], Key={"id": {"S": "a" * 2049}})


def test_the_requests_the_fuzz_starts_from_are_accepted(arena: Arena) -> None:
    """Each hostile request changes one thing of a request the route accepts, so the fuzz reaches the
    handler's work rather than stopping at a 401 or a 403 (importing a URL needs the network, closed here)."""
    import app

    refused = {}
    for method, path in routes():
        if (method, path) in (
            ("POST", "/api/admin/content/import-url"),
            ("DELETE", "/api/admin/feed-sources/{source_id}"),
        ):
            continue
        valid = next(
            c
            for c in hostile_requests(arena, method, path, app.app.routes[path][method].content_types)
            if c.what == "unknown query parameter"
        )
        response = arena.client.http.request(
            method, valid.path.replace("zzz=1", ""), headers=valid.headers, body=valid.body
        )
        if response.status_code >= 400:
            refused[f"{method} {path}"] = (response.status_code, response.body[:150])
    assert not refused


@pytest.mark.parametrize(("method", "path"), routes(), ids=[f"{m} {p}" for m, p in routes()])
def test_hostile_input_gets_a_clear_4xx_and_writes_nothing(arena: Arena, method: str, path: str) -> None:
    import app

    cases = hostile_requests(arena, method, path, app.app.routes[path][method].content_types)
    failures = [f"{case.what}: {problem}"[:300] for case in cases if (problem := _problem(arena, method, case))]
    assert not failures, f"{method} {path}:\n" + "\n".join(failures)


def judge(case: Hostile, response: Any) -> str | None:
    """What is wrong with the response, if anything."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.body[:120]!r}"
    if status >= 400 and case.path.startswith("/api/"):
        try:
            body = json.loads(response.body)
        except ValueError:
            return f"{status} is not JSON: {response.body[:120]!r}"
        if not (isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("fields"), dict)):
            return f"{status} is not {{error, fields}}: {body!r}"[:200]
        if not body["fields"]:
            return f"{status} names no field: {body!r}"
    return None


def hostile_requests(arena: Arena, method: str, path: str, content_types: list[str] | None) -> Iterator[Hostile]:
    operation = arena.document["paths"].get(path, {}).get(method.lower(), {})
    content_type = (content_types or ["application/json"])[0]
    auth = _authorization(arena, path, operation)
    headers = {"Content-Type": content_type, **auth}
    example = _example(arena.document, operation)
    params = re.findall(r"\{(\w+)\}", path)
    valid = {name: _valid_id(arena, path, name) for name in params}
    query = {k: quote(v) for k, v in arena.queries.get(path, {}).items()}
    form = arena.forms.get(path) if method == "POST" else None

    def url(path_values: dict[str, str] | None = None, **changed: str) -> str:
        pairs = "&".join(f"{k}={v}" for k, v in {**query, **changed}.items())
        return _fill(path, {**valid, **(path_values or {})}) + (f"?{pairs}" if pairs else "")

    body = json.dumps(example).encode() if example is not None else urlencode(form or {}).encode()
    body = arena.files.get(path, body)
    for name in params:
        for value in PATH_VALUES:
            yield Hostile(f"path {name}={value[:20]}", url({name: value}), headers, body)
    for parameter in [p for p in operation.get("parameters", []) if p["in"] == "query"]:
        name, schema = parameter["name"], parameter["schema"]
        for value in QUERY_VALUES:
            yield Hostile(f"query {name}={value[:20]}", url(**{name: value}), headers, body)
        for bound, step in (("minimum", -1), ("maximum", 1)):  # just outside the published range
            if bound in schema:
                outside = str(schema[bound] + step)
                yield Hostile(f"query {name}={outside}", url(**{name: outside}), headers, body, schema_refuses=True)
        repeated = url(**{name: "1"}).replace(f"{name}=1", f"{name}=1&{name}=2")
        yield Hostile(f"query {name} repeated", repeated, headers, body)
    yield Hostile("unknown query parameter", url(zzz="1"), headers, body)
    yield Hostile("query name not UTF-8", url(**{"%FF": "1"}), headers, body)
    for name, value in HEADERS:
        yield Hostile(f"{name}: {value[:20]}", url(), {**headers, name: value}, body)
    if auth:
        for value in AUTHORIZATION:
            yield Hostile(f"Authorization {value[:20]!r}", url(), {**headers, "Authorization": value}, body)
    if method in ("GET", "HEAD", "DELETE"):
        return
    for value in (
        "text/plain",
        "application/json; charset=latin-1",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ):
        yield Hostile(f"Content-Type {value}", url(), {**headers, "Content-Type": value}, body)
    if content_type == "text/csv":
        for raw in CSV_BODIES:
            yield Hostile(f"CSV {raw[:20]!r}", url(), headers, raw)
    for name in form or {}:
        for value in QUERY_VALUES:
            changed = "&".join(f"{k}={quote(v) if k != name else value}" for k, v in form.items())
            yield Hostile(f"form {name}={value[:20]}", url(), headers, changed.encode())
    if content_type == "application/x-www-form-urlencoded":
        for raw in FORM_BODIES:
            yield Hostile(f"form {raw[:20]!r}", url(), headers, raw)
    for raw in RAW_BODIES:
        yield Hostile(f"body {raw[:20]!r}", url(), {**headers, "Content-Type": "application/json"}, raw)
    if isinstance(example, dict):
        fields = _properties(arena.document, operation)
        refused = _refused_by_schema(arena.document, operation)
        for field in fields:
            for value in FIELD_VALUES:
                changed = {**example, field: value}
                what = f"{field}={json.dumps(value)[:20]}"
                yield Hostile(what, url(), headers, json.dumps(changed).encode(), refused(changed))
        yield Hostile("every field null", url(), headers, json.dumps(dict.fromkeys(fields)).encode())
        yield Hostile("an unknown field", url(), headers, json.dumps({**example, "zzz": 1}).encode())


def _authorization(arena: Arena, path: str, operation: dict[str, Any]) -> dict[str, str]:
    security = operation.get("security") or []
    if {"adminToken": []} in security:
        return {"Authorization": f"Bearer {arena.admin}"}
    if {"employeeToken": []} in security:
        return {"Authorization": f"Employee {arena.employee}"}
    return {}


def _valid_id(arena: Arena, path: str, name: str) -> str:
    """Admin routes act on their own targets; the rest read the published item and its sharer."""
    if name == "content_id" and not path.startswith("/api/admin/"):
        return arena.ids["public_content_id"]
    if name == "employee_id" and path.startswith("/share/"):
        return arena.ids["sharer_id"]
    if name == "suggestion_id" and path.endswith("/reject"):
        return arena.ids["rejected_suggestion_id"]
    return arena.ids[name]


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def _schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return None
    return document["components"]["schemas"][content["schema"]["$ref"].rsplit("/", 1)[1]]


def _example(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    schema = _schema(document, operation)
    if schema is None:
        return None
    assert schema.get("examples"), f"{schema['title']} needs an example in its model_config"
    return dict(schema["examples"][0])


def _refused_by_schema(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """Whether a body breaks the operation's published request schema (its $refs resolved in the document)."""
    from jsonschema import Draft202012Validator

    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    validator = Draft202012Validator({**document, "$ref": ref})
    return lambda body: not validator.is_valid(body)


def _properties(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    schema = _schema(document, operation) or {}
    return list(schema.get("properties", {}))


WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    | {"PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CompleteMultipartUpload"}
    | {"SendMessage", "SendMessageBatch", "SendEmail", "SendRawEmail", "PutParameter"}
)


def record_writes(clients: list[Any], written: list[str]) -> None:
    """Note every write that AWS (moto) accepted, whichever store or service made it."""

    def after(http_response: Any, model: Any, **_: Any) -> None:
        if model.name in WRITES and http_response.status_code < 300:
            written.append(model.name)

    for client in clients:
        client.meta.events.register("after-call", after)


# --- drawn by hypothesis: JSON of any shape in each field of each body, any text in each query parameter ---

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
# Any code point, lone surrogates included (JSON can carry them as \ud800 escapes).
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)
DRAWN = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def json_body_routes() -> list[tuple[str, str]]:
    import app
    from functions.api.openapi import document

    paths = document(app.app.routes)["paths"]
    return [
        (m, p)
        for m, p in routes()
        if "application/json" in paths.get(p, {}).get(m.lower(), {}).get("requestBody", {}).get("content", {})
    ]


BODY_ROUTES = json_body_routes()


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_any_json_in_any_field_gets_a_clear_answer(arena: Arena, method: str, path: str) -> None:
    operation = arena.document["paths"][path][method.lower()]
    example = _example(arena.document, operation) or {}
    fields = [*_properties(arena.document, operation), "zzz"]
    url = _fill(path, {name: _valid_id(arena, path, name) for name in re.findall(r"\{(\w+)\}", path)})
    headers = {"Content-Type": "application/json", **_authorization(arena, path, operation)}

    @DRAWN
    @given(st.dictionaries(st.sampled_from(fields), JSON | ANY_TEXT, min_size=1, max_size=4))
    def drawn(changes: dict[str, Any]) -> None:
        case = Hostile(f"{changes!r}"[:200], url, headers, json.dumps({**example, **changes}).encode())
        _send_and_judge(arena, method, case)

    drawn()


QUERY_ROUTES = [(m, p) for m, p in routes() if m == "GET"]


@pytest.mark.parametrize(("method", "path"), QUERY_ROUTES, ids=[f"{m} {p}" for m, p in QUERY_ROUTES])
def test_any_text_in_any_query_parameter_gets_a_clear_answer(arena: Arena, method: str, path: str) -> None:
    from urllib.parse import quote

    operation = arena.document["paths"][path][method.lower()]
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] or ["zzz"]
    url = _fill(path, {name: _valid_id(arena, path, name) for name in re.findall(r"\{(\w+)\}", path)})
    headers = _authorization(arena, path, operation)

    @DRAWN
    @given(st.lists(st.tuples(st.sampled_from(names), ANY_TEXT), min_size=1, max_size=4))
    def drawn(params: list[tuple[str, str]]) -> None:
        query = "&".join(f"{name}={quote(value, errors='surrogatepass')}" for name, value in params)
        _send_and_judge(arena, method, Hostile(f"?{query}"[:200], f"{url}?{query}", headers))

    drawn()


def _send_and_judge(arena: Arena, method: str, case: Hostile) -> None:
    problem = _problem(arena, method, case)
    assert problem is None, f"{method} {case.what}: {problem}"


def _problem(arena: Arena, method: str, case: Hostile) -> str | None:
    """Send one hostile request; what is wrong with how it was answered, if anything."""
    arena.written.clear()
    try:
        response = arena.client.http.request(method, case.path, headers=case.headers, body=case.body)
    except Exception as exc:  # noqa: BLE001 - the test client re-raises what would be a 500
        return f"raised {exc!r}"
    problem = judge(case, response)
    if problem is None and case.schema_refuses and response.status_code < 400:
        problem = f"{response.status_code}: accepted a request the published schema refuses"
    if problem is None and response.status_code >= 400 and arena.written:
        problem = f"{response.status_code} but wrote: {', '.join(arena.written)}"
    return problem
