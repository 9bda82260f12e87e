"""The generator's paths and pages from data alone (no AWS): unique paths, pagination, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.content.model import new_content
from functions.sitegen.build import LOCALES, PAGE_SIZE, build
from functions.sitegen.data import SiteData
from functions.sitegen.publish import Entry
from functions.stats.leaderboard import Standing

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def data(count: int = 3, topics: tuple[str, ...] = ("news",), teams: tuple[str, ...] = ()) -> SiteData:
    items = tuple(
        new_content(
            content_id=f"item{n:03d}",
            url=f"https://example.com/{n}",
            title=f"Story {n}",
            topics=list(topics),
            now=NOW,
        )
        for n in range(count)
    )
    row = Standing(1, "e1", "Ada", teams[0] if teams else "Eng", 1, 1, 1, 11)
    boards = {(period, None): (row,) for period in ("week", "month", "all")}
    for team in teams:
        boards.update({(period, team): (row,) for period in ("week", "month", "all")})
    return SiteData(items, teams, boards, NOW)


def keys(site: SiteData) -> set[str]:
    return set(build(site, {}, "https://site.example.org", "https://api.example.org").files)


def test_topics_and_teams_whose_names_slugify_alike_get_their_own_pages() -> None:
    site = keys(data(topics=("C++", "c", "c 2"), teams=("R&D", "R D")))
    topic_pages = {k for k in site if k.startswith("en/topics/") and k != "en/topics/index.html"}
    assert topic_pages == {"en/topics/c/index.html", "en/topics/c-2/index.html", "en/topics/c-3/index.html"}
    team_pages = {k for k in site if k.startswith("en/leaderboard/") and k != "en/leaderboard/index.html"}
    assert len(team_pages) == 2


def test_long_lists_are_paged_and_every_page_links_its_neighbours() -> None:
    result = build(data(PAGE_SIZE * 2 + 1), {}, "https://site.example.org", "https://api.example.org")
    home = [k for k in result.files if k.startswith("pl/") and (k == "pl/index.html" or k.startswith("pl/page/"))]
    assert sorted(home) == ["pl/index.html", "pl/page/2/index.html", "pl/page/3/index.html"]
    middle = result.files["pl/page/2/index.html"].decode()
    assert 'href="/pl/" rel="prev"' in middle and 'href="/pl/page/3/" rel="next"' in middle
    assert middle.count('<li class="card') == PAGE_SIZE


def test_a_page_is_rendered_again_only_when_its_fingerprint_changes() -> None:
    site = data(2)
    first = build(site, {}, "https://site.example.org", "https://api.example.org")
    previous = {key: Entry("sha", fingerprint) for key, fingerprint in first.inputs.items()}
    again = build(site, previous, "https://site.example.org", "https://api.example.org")
    assert again.rendered == 0 and len(again.kept) == len(first.inputs)
    moved = build(site, previous, "https://elsewhere.example.org", "https://api.example.org")
    assert moved.rendered == first.rendered  # every link changed with the site's address
    everything = build(site, previous, "https://site.example.org", "https://api.example.org", everything=True)
    assert everything.rendered == first.rendered
    assert first.pages == 2 + len(LOCALES) * (1 + 2 + 2 + 1 + 1 + 1)  # home, items, topics, board, kpi, admin


def test_the_home_page_stays_under_100_kb_with_the_longest_titles_and_summaries() -> None:
    """Twelve cards whose Russian titles (300 characters, the limit) and summaries fill every field."""
    title = ("Длинный заголовок о том, как наши команды работают вместе " * 6)[:300]
    items = tuple(
        new_content(
            content_id=f"long{n:02d}",
            url=f"https://example.com/{n}",
            title=title,
            summary=("Очень подробное описание. " * 80)[:1000],
            language="ru",
            topics=[f"тема {t}" for t in range(6)],
            image_url=f"https://example.com/images/{n}.jpg",
            important=n < 3,
            now=NOW,
        )
        for n in range(PAGE_SIZE)
    )
    site = SiteData(items, (), {}, NOW)
    home = build(site, {}, "https://site.example.org", "https://api.example.org").files["ru/index.html"]
    assert len(home) < 100_000, f"{len(home):,} bytes"


def test_every_leaderboard_says_in_its_language_that_points_come_only_from_shares_and_unique_human_clicks() -> None:
    from bs4 import BeautifulSoup

    files = build(data(teams=("Sales",)), {}, "https://site.example.org", "https://api.example.org").files
    expected = {
        "en": "Points come only from shares and unique human clicks",
        "pl": "Punkty przyznajemy wyłącznie za udostępnienia i unikalne kliknięcia",
        "lt": "Taškai skiriami tik už pasidalijimus ir unikalius žmonių paspaudimus",
        "ru": "Баллы начисляются только за репосты и уникальные переходы",
    }
    for lang, sentence in expected.items():
        for page in (f"{lang}/leaderboard/index.html", f"{lang}/leaderboard/sales/index.html"):
            lead = BeautifulSoup(files[page].decode(), "html.parser").select_one("main p.lead")
            assert lead is not None and lead.get_text().startswith(sentence), page


def test_only_the_results_page_loads_its_script_and_it_offers_the_teams_as_filters() -> None:
    import re

    result = build(data(teams=("R&D", "Sales")), {}, "https://site.example.org", "https://api.example.org")
    scripts = [key for key in result.files if re.fullmatch(r"assets/results\.[0-9a-f]{12}\.js", key)]
    assert len(scripts) == 1
    results = result.files["pl/kpi/index.html"].decode()
    assert f'<script src="/{scripts[0]}" defer></script>' in results
    assert scripts[0] not in result.files["pl/index.html"].decode()
    assert '<option value="R&amp;D">R&amp;D</option>' in results and '<option value="Sales">' in results
    assert '<input type="password" id="r-token"' in results and 'aria-live="polite"' in results
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", results)  # the CSP allows neither inline
