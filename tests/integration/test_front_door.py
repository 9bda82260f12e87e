"""The lean front door (functions/links/front_door.py) over moto: what only it does.

Every redirect outcome runs through both entry points in test_redirect.py; here: that they answer byte for
byte alike, which viewer address a click counts, the paths only the short domain sees, and that the
function's own IAM policy in infra/template.yaml grants every call it makes and nothing else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import BROWSER_HEADERS, World, parse_page
from tests.front_door import CLOUDFRONT_IP, ORIGIN_SECRET, FrontDoorClient
from tests.integration.test_redirect import share_and_get_code, stored_clicks

EOP_SCANNER_IP = "40.92.3.4"  # Microsoft Exchange Online Protection (functions/clicks/visitor.py)


@pytest.fixture
def front_door(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from functions.links import front_door

    monkeypatch.setenv("FRONT_DOOR_ORIGIN_SECRET", ORIGIN_SECRET)
    front_door.reset()
    yield front_door
    front_door.reset()


def address_hash_of(click: dict[str, Any], ip: str) -> str:
    from functions.clicks.visitor import address_hash
    from functions.secrets import derived_key

    return address_hash(derived_key("visitor"), click["at"]["S"][:10], ip)


def test_both_front_doors_answer_every_outcome_alike(client: Any, world: World, front_door: Any) -> None:
    code = share_and_get_code(client, world)
    lean = FrontDoorClient()
    requests = [
        ("GET", f"/{code}"),
        ("HEAD", f"/{code}"),
        ("GET", "/Zz9Zz9Zz"),  # unknown
        ("GET", "/not-a-code!"),  # malformed
        ("GET", "/%3Cscript%3E"),
        ("GET", "/" + "a" * 300),  # longer than any id
        *((method, f"/{code}") for method in ("POST", "PUT", "DELETE", "PATCH")),
    ]
    for method, path in requests:
        chalice = client.http.request(method, path, headers=BROWSER_HEADERS)
        ours = lean.request(method, path, headers=BROWSER_HEADERS)
        assert (ours.status_code, ours.headers, ours.body) == (
            chalice.status_code,
            chalice.headers,
            chalice.body,
        ), f"{method} {path}"
    assert sorted(c["method"]["S"] for c in stored_clicks()) == ["GET", "GET", "HEAD", "HEAD"]  # both counted


def test_the_front_door_answers_other_methods_and_paths_on_the_short_domain(aws: None, front_door: Any) -> None:
    lean = FrontDoorClient()
    response = lean.request("OPTIONS", "/Zz9Zz9Zz", headers=BROWSER_HEADERS)
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD")
    for path in ("/", "/Zz9Zz9Zz/more", "//evil.example"):
        response = lean.get(path, headers=BROWSER_HEADERS)
        assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
        assert parse_page(response.body.decode()).h1 == ["Not found"]
        assert "Location" not in response.headers


def test_through_cloudfront_a_click_counts_the_viewers_address_not_cloudfronts(
    client: Any, world: World, front_door: Any
) -> None:
    code = share_and_get_code(client, world)
    assert FrontDoorClient(viewer_ip="203.0.113.7").get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302
    assert FrontDoorClient(viewer_ip="2001:db8::7").get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302
    FrontDoorClient(viewer_ip=EOP_SCANNER_IP).get(f"/{code}", headers=BROWSER_HEADERS)
    first, second, scanner = sorted(stored_clicks(), key=lambda c: c["at"]["S"])
    assert first["ip"]["S"] == address_hash_of(first, "203.0.113.7") != address_hash_of(first, CLOUDFRONT_IP)
    assert second["ip"]["S"] == address_hash_of(second, "2001:db8::1234")  # the same /64
    assert (first["kind"]["S"], scanner["kind"]["S"], scanner["reason"]["S"]) == (
        "human",
        "scanner",
        "scanner_network:microsoft-eop",
    )


def test_a_click_through_cloudfront_without_the_viewers_address_never_counts_cloudfronts(
    client: Any, world: World, front_door: Any
) -> None:
    """Had the distribution stopped forwarding CloudFront-Viewer-Address, every click would share CloudFront's
    few addresses and the per-address cap would stop counting people: the address is unknown instead."""
    from tests.front_door import Context, function_url_event

    code = share_and_get_code(client, world)
    headers = {**BROWSER_HEADERS, "X-Chorus-Origin": ORIGIN_SECRET}
    response = front_door.handler(function_url_event("GET", f"/{code}", headers, CLOUDFRONT_IP), Context())
    assert response["statusCode"] == 302
    [click] = stored_clicks()
    assert click.get("ip", {}).get("S", "") == "" and click["kind"]["S"] == "human"


@pytest.mark.parametrize("secret", [None, "guessed", ORIGIN_SECRET[:-1]])
def test_a_direct_caller_cannot_choose_the_address_or_country_a_click_counts(
    client: Any, world: World, front_door: Any, secret: str | None
) -> None:
    """Someone calling the Function URL itself, with forged CloudFront headers (and no or a wrong secret)."""
    code = share_and_get_code(client, world)
    forged = {
        **BROWSER_HEADERS,
        "CloudFront-Viewer-Address": f"{EOP_SCANNER_IP}:443",
        "CloudFront-Viewer-Country": "PL",
    }
    if secret is not None:
        forged["X-Chorus-Origin"] = secret
    direct = FrontDoorClient(viewer_ip="198.51.100.9", through_cloudfront=False)
    assert direct.get(f"/{code}", headers=forged).status_code == 302
    [click] = stored_clicks()
    assert click["ip"]["S"] == address_hash_of(click, "198.51.100.9")
    assert click["kind"]["S"] == "human" and "country" not in click  # not the scanner network it claimed


def test_without_a_configured_secret_no_request_is_trusted(client: Any, world: World, monkeypatch: Any) -> None:
    from functions.links import front_door

    monkeypatch.delenv("FRONT_DOOR_ORIGIN_SECRET", raising=False)
    front_door.reset()
    code = share_and_get_code(client, world)
    headers = {**BROWSER_HEADERS, "X-Chorus-Origin": "", "CloudFront-Viewer-Address": "203.0.113.7:1"}
    FrontDoorClient(viewer_ip="198.51.100.9", through_cloudfront=False).get(f"/{code}", headers=headers)
    [click] = stored_clicks()
    assert click["ip"]["S"] == address_hash_of(click, "198.51.100.9")


# --- the function's own IAM policy (moto enforces none) ----------------------------------------------------


def front_door_policy() -> dict[str, Any]:
    """FrontDoor's statements in infra/template.yaml, with the dev stage's names (any account: moto's queues
    and tables do not agree on one)."""
    from infra.resources import template

    names = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "*", "Stage": "dev"}
    [document] = template()["Resources"]["FrontDoor"]["Properties"]["Policies"]
    statements = []
    for statement in document["Statement"]:
        resource = re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], statement["Resource"]["Fn::Sub"])
        statements.append({**statement, "Resource": resource})
    return {"Statement": statements}


def test_the_front_doors_role_allows_every_call_it_makes_and_nothing_more(
    client: Any, world: World, front_door: Any
) -> None:
    from functions import aws
    from infra.iam import allows
    from infra.local.aws_calls import Recorder
    from infra.local.sandbox import reset_warm_state

    code = share_and_get_code(client, world)
    reset_warm_state()  # a new container: the secret and the link not read yet
    recorder = Recorder()
    for service in ("dynamodb", "sqs", "ssm"):  # the redirect's clients, recorded on every call they make
        aws.client(service).meta.events.register("before-parameter-build", recorder)
    lean = FrontDoorClient()
    lean.get(f"/{code}", headers=BROWSER_HEADERS)  # cold: the secret, the link, the click
    lean.get("/Zz9Zz9Zz", headers=BROWSER_HEADERS)  # an unknown code: one more GetItem
    boto3.client("dynamodb").delete_table(TableName=os.environ["EVENTS_TABLE"])
    assert lean.get(f"/{code}", headers=BROWSER_HEADERS).status_code == 302  # the click goes to the backlog

    made = {(call.action, call.resource) for call in recorder.calls.values()}
    assert {action for action, _ in made} == {
        "ssm:GetParameter",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    }
    policy = front_door_policy()
    refused = [f"{action} on {resource}" for action, resource in made if not allows(policy, action, resource)]
    assert not refused, "the front door's role refuses calls it makes:\n" + "\n".join(refused)
    granted = {(action, s["Resource"]) for s in policy["Statement"] for action in _listed(s["Action"])}
    unused = {(a, r) for a, r in granted if not any(allows({"Statement": [_allow(a, r)]}, *call) for call in made)}
    assert not unused, f"the front door's role grants what it never calls: {sorted(unused)}"
    for action, resource in [
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-dev-links"),
        ("dynamodb:Scan", "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-dev-events"),
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:000000000000:table/chorus-dev-admin_tokens"),
        ("ses:SendRawEmail", "arn:aws:ses:us-east-1:000000000000:identity/example.com"),
    ]:
        assert not allows(policy, action, resource), action


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allow(action: str, resource: str) -> dict[str, str]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}
