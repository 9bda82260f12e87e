"""Which URL paths `make run` serves from the site bucket, and as which objects."""

from __future__ import annotations

import pytest

from infra.local.static import object_key


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/404.html", "404.html"),
        ("/sitemap.xml", "sitemap.xml"),
        ("/robots.txt", "robots.txt"),
        ("/pl/", "pl/index.html"),
        ("/pl", "pl"),  # answered with a redirect to /pl/
        ("/ru/items/launch/?utm_source=x", "ru/items/launch/index.html"),
        ("/assets/site.0123abcd.css", "assets/site.0123abcd.css"),
        ("/lt/items/atidar%C4%97me-office-lt/", "lt/items/atidarėme-office-lt/index.html"),  # links are encoded
        ("/media/0123456789abcdef0123456789abcdef.png", "media/0123456789abcdef0123456789abcdef.png"),
    ],
)
def test_site_paths_map_to_bucket_keys(path: str, key: str) -> None:
    assert object_key(path) == key


@pytest.mark.parametrize(
    "path",
    [
        "/api/feed",
        "/admin",
        "/aB3dE5fG",
        "/share/a/b/linkedin",
        "/de/",
        "/english/",
        "/en/../admin",
        "/assets//x",
        "/media/%1F",  # no object has a control character in its name (S3 would not take one)
        "/en/%2E%2E/admin",
        "/uploads/0123456789abcdef0123456789abcdef",  # not checked yet: never served
    ],
)
def test_everything_else_goes_to_the_app(path: str) -> None:
    assert object_key(path) is None
