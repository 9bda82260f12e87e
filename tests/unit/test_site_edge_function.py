"""The site's CloudFront viewer-request function, run in Node as deployed: index pages, and no open redirect."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest

from infra.resources import template

RUNNER = """
const code = require("fs").readFileSync(0, "utf8");
const {source, uris} = JSON.parse(code);
const handler = new Function(source + "\\nreturn handler;")();
const answers = uris.map((uri) => handler({request: {uri: uri, method: "GET", headers: {}, querystring: {}}}));
process.stdout.write(JSON.stringify(answers));
"""
# A Location that a browser reads as another host: two slashes or backslashes (in any mix) at the start.
OTHER_HOST = re.compile(r"^[/\\\s]{2}|^[^/]")


def run_edge_function(uris: list[str]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the CloudFront function (it is on every machine of this kind)")
    source = template()["Resources"]["SiteIndexFunction"]["Properties"]["FunctionCode"]
    result = subprocess.run(
        [node, "-e", RUNNER],
        input=json.dumps({"source": source, "uris": uris}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_directory_paths_are_served_as_their_index_page_and_files_as_they_are() -> None:
    answers = run_edge_function(["/", "/pl/", "/pl/items/launch-1/", "/assets/site.abc123.css", "/sitemap.xml"])
    assert [a["uri"] for a in answers] == [
        "/index.html",
        "/pl/index.html",
        "/pl/items/launch-1/index.html",
        "/assets/site.abc123.css",
        "/sitemap.xml",
    ]


def test_a_path_without_its_slash_is_sent_to_the_same_site_with_one() -> None:
    [answer] = run_edge_function(["/pl/leaderboard"])
    assert answer["statusCode"] == 301
    assert answer["headers"]["location"]["value"] == "/pl/leaderboard/"


@pytest.mark.parametrize(
    ("uri", "location"),
    [
        ("//evil.example/x", "/evil.example/x/"),
        ("///evil.example/x", "/evil.example/x/"),
        ("/\\evil.example/x", "/evil.example/x/"),
        ("/\\/evil.example/x", "/evil.example/x/"),
        ("\\\\evil.example/x", "/evil.example/x/"),
        ("/\t/evil.example/x", "/evil.example/x/"),
        ("/ /evil.example/x", "/evil.example/x/"),
        ("//localhost", "/localhost/"),
    ],
)
def test_leading_slashes_and_backslashes_never_make_a_redirect_to_another_host(uri: str, location: str) -> None:
    [answer] = run_edge_function([uri])
    assert answer["statusCode"] == 301
    assert answer["headers"]["location"]["value"] == location


def test_no_hostile_path_is_answered_with_a_location_on_another_host() -> None:
    rng = random.Random(20261129)
    alphabet = ["/", "\\", "/", "\\", ".", "evil", "example", "%2f", "%5c", "\t", " ", "@", ":", "x", "?"]
    uris = ["/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(2000)]
    answers = run_edge_function(uris)
    redirects = [
        (uri, a["headers"]["location"]["value"]) for uri, a in zip(uris, answers, strict=True) if "statusCode" in a
    ]
    assert len(redirects) > 100  # the hostile inputs did reach the redirect branch
    escaping = [(uri, location) for uri, location in redirects if OTHER_HOST.search(location)]
    assert escaping == []
    rewritten = [a["uri"] for a in answers if "uri" in a]
    assert all(re.match(r"^/[^/\\\s]|^/index\.html$", uri) or uri == "/" for uri in rewritten)
