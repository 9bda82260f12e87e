"""The digest email as an employee gets it, read back by parsing: the HTML, the plain text and the MIME message."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from bs4 import BeautifulSoup

from functions.config import NETWORKS
from functions.digest.render import (
    Digest,
    DigestItem,
    DigestLinkError,
    RenderedDigest,
    WeekFigures,
    build_message,
    progress_line,
    render_digest,
    week_line,
)

NBSP = "\N{NO-BREAK SPACE}"
SENDER = "Chorus <digest@chorus.example.org>"
API = "https://api.chorus.example.org"
# 23:30 UTC on 22 November is already 23 November in Vilnius: the email is dated in the reader's zone.
CREATED = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)

# What each locale must show (the catalogs are the source; these are what a reader sees).
EXPECTED = {
    "en": {
        "greeting": "Hi Łucja Żak,",
        "important": "Important",
        "suggested": "Suggested text",
        "email": "Email",
        "preferences": "Email preferences",
        "unsubscribe": "Unsubscribe",
        "subject": "3 items to share, November 23, 2026",
        "week": "Your week: 1,234 shares, 2 clicks, #5 on the leaderboard.",
    },
    "pl": {
        "greeting": "Dzień dobry, Łucja Żak!",
        "important": "Ważne",
        "suggested": "Proponowany tekst",
        "email": "E-mail",
        "preferences": "Ustawienia wiadomości",
        "unsubscribe": "Wypisz się",
        "subject": "3 materiały do udostępnienia, 23 listopada 2026",
        "week": f"Twój tydzień: 1{NBSP}234 udostępnienia, 2 kliknięcia, 5. miejsce w rankingu.",
    },
    "lt": {
        "greeting": "Sveiki, Łucja Żak!",
        "important": "Svarbu",
        "suggested": "Siūlomas tekstas",
        "email": "El. paštas",
        "preferences": "Laiškų nustatymai",
        "unsubscribe": "Atsisakyti prenumeratos",
        "subject": "3 įrašai pasidalyti, 2026 m. lapkričio 23 d.",
        "week": f"Jūsų savaitė: 1{NBSP}234 pasidalijimai, 2 paspaudimai, 5 vieta lyderių lentelėje.",
    },
    "ru": {
        "greeting": "Здравствуйте, Łucja Żak!",
        "important": "Важно",
        "suggested": "Предлагаемый текст",
        "email": "Эл. почта",
        "preferences": "Настройки рассылки",
        "unsubscribe": "Отписаться",
        "subject": "3 материала для репоста, 23 ноября 2026\N{NARROW NO-BREAK SPACE}г.",
        "week": f"Ваша неделя: 1{NBSP}234 репоста, 2 перехода, 5-е место в рейтинге.",
    },
}
NETWORK_LABELS = {"linkedin": "LinkedIn", "x": "X", "facebook": "Facebook", "whatsapp": "WhatsApp"}


def item(n: int, **changes: Any) -> DigestItem:
    base = DigestItem(
        content_id=f"c{n}",
        title=f"Autumn launch {n}",
        summary=f"What changed in release {n}, and why customers asked for it.",
        image_url=f"https://cdn.example.com/img/{n}.png",
        url=f"https://example.com/news/{n}",
        share_text=f"Our team shipped release {n}.\nHave a look!",
        # Deliberately not in display order: the email orders the buttons itself.
        share_links={net: f"{API}/share/{net}/c{n}?e=emp1&sig=s{n}{net[:2]}" for net in reversed(NETWORKS)},
    )
    return replace(base, **changes)


def sample_digest(locale: str = "en", count: int = 3, **changes: Any) -> Digest:
    """Three items: an important one, one without an image, a third-party one."""
    items = [item(n) for n in range(1, count + 1)]
    items[0] = replace(items[0], important=True)
    if count > 1:
        items[1] = replace(items[1], image_url=None)
    if count > 2:
        items[2] = replace(items[2], kind="third_party")
    base = Digest(
        employee_id="4f2a9c0d11b3e5f7",
        name="Łucja Żak",
        email="lucja.zak@example.com",
        locale=locale,
        time_zone="Europe/Vilnius",
        items=tuple(items),
        site_url="https://chorus.example.org/?t=tok.en",
        preferences_url=f"{API}/preferences?t=tok.prefs",
        unsubscribe_url=f"{API}/unsubscribe?t=tok.unsub",
        unsubscribe_mailto="mailto:unsubscribe@chorus.example.org?subject=unsubscribe%20tok.unsub",
        week=WeekFigures(shares=1234, human_clicks=2, rank=5),
        period="2026-W47",
        created_at=CREATED,
    )
    return replace(base, **changes)


def soup(rendered: RenderedDigest) -> BeautifulSoup:
    return BeautifulSoup(rendered.html, "html.parser")


def text_of(node: Any) -> str:
    """The text a reader sees, ASCII whitespace collapsed (no-break spaces are kept: they are the locale's)."""
    return re.sub(r"[ \t\r\n]+", " ", node.get_text(" ")).strip()


def cards(page: BeautifulSoup) -> list[Any]:
    return page.select("table.card")


def parse_message(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize("locale", list(EXPECTED))
def test_the_html_is_in_the_employees_language_with_every_item_and_link(locale: str) -> None:
    digest = sample_digest(locale)
    rendered = render_digest(digest)
    page, expected = soup(rendered), EXPECTED[locale]

    assert page.html["lang"] == locale
    assert rendered.subject == expected["subject"]
    assert text_of(page.title) == expected["subject"]
    assert text_of(page.h1) == expected["greeting"]
    assert len(cards(page)) == len(digest.items)
    for card, entry in zip(cards(page), digest.items, strict=True):
        assert text_of(card.h2) == entry.title
        assert entry.summary in text_of(card)
        assert text_of(card.select_one(".suggested")) == entry.share_text.replace("\n", " ")
        buttons = card.select("a.button")
        assert [a["href"] for a in buttons] == [entry.share_links[net] for net in NETWORKS]
        assert [text_of(a) for a in buttons] == [*NETWORK_LABELS.values(), expected["email"]]
        assert expected["suggested"] in text_of(card)
        for image in card.find_all("img"):
            assert image["src"] == entry.image_url
            assert image["alt"] == entry.title
        assert bool(card.find_all("img")) == (entry.image_url is not None)
        badge = card.select_one(".badge")
        assert (text_of(badge) if badge else None) == (expected["important"] if entry.important else None)

    links = {a["href"]: text_of(a) for a in page.find_all("a")}
    assert links[digest.preferences_url] == expected["preferences"]
    assert links[digest.unsubscribe_url] == expected["unsubscribe"]
    assert digest.site_url in links
    assert text_of(page.select_one(".week-line")) == expected["week"]


@pytest.mark.parametrize("locale", list(EXPECTED))
def test_the_text_part_is_plain_text_with_every_link_as_a_url(locale: str) -> None:
    digest = sample_digest(locale)
    text = render_digest(digest).text

    assert not re.search(r"</?[a-zA-Z][^>]*>", text), "HTML tags in the text part"
    assert "&amp;" not in text and "&lt;" not in text
    assert text.startswith(EXPECTED[locale]["greeting"])
    lines = text.splitlines()
    for entry in digest.items:
        assert any(line.endswith(entry.title) for line in lines)
        assert entry.url in lines
        for net in NETWORKS:
            label = NETWORK_LABELS.get(net, EXPECTED[locale]["email"])
            assert f"  {label}: {entry.share_links[net]}" in lines
        for part in entry.share_text.splitlines():
            assert f"    {part}" in lines
    for url in (digest.site_url, digest.preferences_url, digest.unsubscribe_url):
        assert url in lines
    assert EXPECTED[locale]["week"] in text.replace("\n", " ")  # wrapped at spaces, never at a no-break space
    assert all(len(line) <= 76 for line in lines if "://" not in line), "prose is wrapped for reading"


@pytest.mark.parametrize(
    ("locale", "week", "expected"),
    [
        ("pl", WeekFigures(1, 1, 1), "Twój tydzień: 1 udostępnienie, 1 kliknięcie, 1. miejsce w rankingu."),
        ("pl", WeekFigures(2, 3, None), "Twój tydzień: 2 udostępnienia, 3 kliknięcia, jeszcze poza rankingiem."),
        ("pl", WeekFigures(5, 12, 22), "Twój tydzień: 5 udostępnień, 12 kliknięć, 22. miejsce w rankingu."),
        ("pl", WeekFigures(22, 0, 3), "Twój tydzień: 22 udostępnienia, 0 kliknięć, 3. miejsce w rankingu."),
        ("ru", WeekFigures(1, 1, None), "Ваша неделя: 1 репост, 1 переход, пока вне рейтинга."),
        ("ru", WeekFigures(2, 2, 2), "Ваша неделя: 2 репоста, 2 перехода, 2-е место в рейтинге."),
        ("ru", WeekFigures(5, 5, 7), "Ваша неделя: 5 репостов, 5 переходов, 7-е место в рейтинге."),
        ("ru", WeekFigures(21, 11, 1), "Ваша неделя: 21 репост, 11 переходов, 1-е место в рейтинге."),
        ("lt", WeekFigures(1, 10, None), "Jūsų savaitė: 1 pasidalijimas, 10 paspaudimų, dar nesate lyderių lentelėje."),
        ("en", WeekFigures(1, 1, None), "Your week: 1 share, 1 click, not on the leaderboard yet."),
        ("en", WeekFigures(0, 12345, 1200), "Your week: 0 shares, 12,345 clicks, #1,200 on the leaderboard."),
    ],
)
def test_the_week_line_is_pluralised_for_the_language(locale: str, week: WeekFigures, expected: str) -> None:
    assert week_line(week, locale) == expected


@pytest.mark.parametrize(
    ("locale", "count", "subject"),
    [
        ("pl", 1, "1 materiał do udostępnienia, 23 listopada 2026"),
        ("pl", 5, "5 materiałów do udostępnienia, 23 listopada 2026"),
        ("ru", 1, "1 материал для репоста, 23 ноября 2026\N{NARROW NO-BREAK SPACE}г."),
        ("ru", 5, "5 материалов для репоста, 23 ноября 2026\N{NARROW NO-BREAK SPACE}г."),
        ("en", 1, "1 item to share, November 23, 2026"),
    ],
)
def test_the_subject_counts_the_items_and_dates_the_email(locale: str, count: int, subject: str) -> None:
    rendered = render_digest(sample_digest(locale, count))
    assert rendered.subject == subject
    intro = soup(rendered).select_one(".intro p")
    assert intro is not None and str(count) in text_of(intro)


def test_an_unknown_locale_reads_in_english_and_a_nameless_employee_is_still_greeted() -> None:
    rendered = render_digest(sample_digest("de-DE", name=""))
    assert soup(rendered).html["lang"] == "en"
    assert text_of(soup(rendered).h1) == "Hi,"
    assert render_digest(sample_digest("pl", name="")).text.startswith("Dzień dobry!")


def test_styles_are_inlined_and_the_layout_is_fluid_up_to_600_px() -> None:
    page = soup(render_digest(sample_digest("pl")))
    assert page.find("meta", attrs={"name": "viewport"}) is not None
    frame = page.select_one("table.frame")
    assert "max-width: 600px" in frame["style"] and "width: 100%" in frame["style"]
    assert all("background" in a["style"] for a in page.select("a.button"))
    assert all("width: 100%" in img["style"] and "height: auto" in img["style"] for img in page.find_all("img"))
    (style,) = page.find_all("style")  # only the @media rules are left in <style>
    assert style.get_text().lstrip().startswith("@media")


def test_user_text_cannot_inject_markup_or_scripts() -> None:
    hostile = item(
        1,
        title='<script>alert("title")</script>',
        summary='<img src=x onerror=alert("summary")>',
        share_text='"><script>alert("share")</script>\n<b>bold</b>',
        image_url="javascript:alert('image')",
        url="javascript:alert('url')",
    )
    digest = sample_digest("en", items=(hostile,), name='<b onmouseover="alert(1)">Eve</b>')
    rendered = render_digest(digest)
    page = soup(rendered)

    assert "<script" not in rendered.html.lower()
    assert page.find_all("script") == [] and page.find_all("b") == []
    assert page.select(".card img") == [], "a javascript: image is dropped"
    for tag in page.find_all(True):
        assert not [name for name in tag.attrs if name.lower().startswith("on")], tag
        for name in ("href", "src"):
            assert not str(tag.get(name, "")).lower().startswith("javascript:"), tag
    card = cards(page)[0]
    assert text_of(card.h2) == hostile.title  # shown as the text it is
    assert hostile.summary in text_of(card)
    assert text_of(page.h1) == 'Hi <b onmouseover="alert(1)">Eve</b>,'
    assert "javascript:" not in rendered.text


def test_chorus_links_must_be_web_links() -> None:
    with pytest.raises(DigestLinkError):
        render_digest(sample_digest(site_url="javascript:alert(1)"))
    with pytest.raises(DigestLinkError):
        render_digest(sample_digest(items=(item(1, share_links={"x": "data:text/html,hi"}),)))
    digest = sample_digest(unsubscribe_mailto="https://not-a-mailto.example.org")
    with pytest.raises(DigestLinkError):
        build_message(digest, render_digest(sample_digest()), SENDER)


@pytest.mark.parametrize("locale", list(EXPECTED))
def test_the_message_has_text_then_html_and_one_click_unsubscribe_headers(locale: str) -> None:
    digest = sample_digest(locale)
    rendered = render_digest(digest)
    raw = build_message(digest, rendered, SENDER)
    message = parse_message(raw)

    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()  # type: ignore[misc]
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == rendered.html

    assert message["Subject"] == rendered.subject
    assert message["Content-Language"] == locale
    assert message["List-Unsubscribe"] == f"<{digest.unsubscribe_url}>, <{digest.unsubscribe_mailto}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Chorus digest <digest.chorus.example.org>"
    assert message["Date"].datetime == CREATED
    assert message["Message-ID"] == "<digest.2026-W47.4f2a9c0d11b3e5f7@chorus.example.org>"
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Chorus", "digest@chorus.example.org")
    (recipient,) = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == ("Łucja Żak", "lucja.zak@example.com")

    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii(), "headers are 7-bit: non-ASCII text goes in RFC 2047 encoded words"
    assert re.search(rb"^To: =\?utf-8\?[bq]\?.+\?= <lucja\.zak@example\.com>\r$", head, re.MULTILINE)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_long_unsubscribe_links_reach_the_header_as_urls_not_encoded_words() -> None:
    token = "eyJ" + "x" * 240
    digest = sample_digest(
        unsubscribe_url=f"{API}/unsubscribe?t={token}",
        unsubscribe_mailto=f"mailto:unsubscribe@chorus.example.org?subject=unsubscribe%20{token}",
    )
    raw = build_message(digest, render_digest(digest), SENDER)
    assert f"List-Unsubscribe: <{digest.unsubscribe_url}>,\r\n <{digest.unsubscribe_mailto}>\r\n".encode() in raw
    assert parse_message(raw)["List-Unsubscribe"] == f"<{digest.unsubscribe_url}>, <{digest.unsubscribe_mailto}>"


def test_without_a_mailto_the_header_carries_the_one_click_link_alone() -> None:
    digest = sample_digest(unsubscribe_mailto=None)
    message = parse_message(build_message(digest, render_digest(digest), SENDER))
    assert message["List-Unsubscribe"] == f"<{digest.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_name_cannot_add_headers() -> None:
    digest = sample_digest(name="Eve\r\nBcc: victim@example.com")
    message = parse_message(build_message(digest, render_digest(digest), "digest@chorus.example.org"))
    assert message["Bcc"] is None
    (recipient,) = message["To"].addresses
    assert recipient.addr_spec == "lucja.zak@example.com"
    assert message["From"].addresses[0].addr_spec == "digest@chorus.example.org"


def test_the_same_digest_gets_the_same_message_id_so_a_retried_send_is_recognisable() -> None:
    digest = sample_digest("pl")
    first = parse_message(build_message(digest, render_digest(digest), SENDER))
    again = parse_message(build_message(digest, render_digest(digest), SENDER))
    other = parse_message(build_message(replace(digest, period="2026-W48"), render_digest(digest), SENDER))
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]


@pytest.mark.parametrize(
    ("locale", "week", "expected"),
    [
        (
            "en",
            WeekFigures(1, 0, None, streak=3, badges=("first_share",)),
            "You have a 3-week streak. Your badges: First share.",
        ),
        (
            "en",
            WeekFigures(1, 0, None, badges=("first_share", "ten_readers", "story_100")),
            "Your badges: First share, Ten readers, and A story with 100 readers.",
        ),
        ("pl", WeekFigures(1, 0, None, streak=1), "Udostępniasz już 1 tydzień z rzędu."),
        (
            "pl",
            WeekFigures(1, 0, None, streak=3, badges=("first_share", "ten_readers")),
            "Udostępniasz już 3 tygodnie z rzędu. Twoje odznaki: Pierwsze udostępnienie i Dziesięciu czytelników.",
        ),
        ("pl", WeekFigures(1, 0, None, streak=5), "Udostępniasz już 5 tygodni z rzędu."),
        (
            "lt",
            WeekFigures(1, 0, None, streak=2, badges=("story_100",)),
            "Dalijatės jau 2 savaites iš eilės. Jūsų ženkleliai: Įrašas, sulaukęs 100 skaitytojų.",
        ),
        ("lt", WeekFigures(1, 0, None, streak=11), "Dalijatės jau 11 savaičių iš eilės."),
        (
            "ru",
            WeekFigures(1, 0, None, streak=21, badges=("first_share",)),
            "Вы делитесь уже 21 неделю подряд. Ваши значки: Первый репост.",
        ),
        ("ru", WeekFigures(1, 0, None, streak=4), "Вы делитесь уже 4 недели подряд."),
        ("ru", WeekFigures(1, 0, None, streak=5), "Вы делитесь уже 5 недель подряд."),
    ],
)
def test_the_streak_and_badges_line_is_translated_and_pluralised(locale: str, week: WeekFigures, expected: str) -> None:
    assert progress_line(week, locale) == expected


def test_the_digest_shows_streak_and_badges_on_one_line_and_nothing_without_them() -> None:
    week = WeekFigures(2, 5, 3, streak=3, badges=("first_share",))
    rendered = render_digest(sample_digest("en", week=week))
    assert text_of(soup(rendered).select_one(".progress-line")) == "You have a 3-week streak. Your badges: First share."
    assert "You have a 3-week streak. Your badges: First share." in rendered.text.replace("\n", " ")
    plain = render_digest(sample_digest("en"))
    assert soup(plain).select_one(".progress-line") is None and "streak" not in plain.text
