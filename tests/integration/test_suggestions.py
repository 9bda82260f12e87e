"""Employee suggestions in moto: suggest, the moderation queue, approve into the library, reject with a note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.content import suggestions
from functions.content.feed_sources import add_feed_source
from functions.content.model import ContentValidationError
from functions.content.store import ContentStore
from functions.content.suggestions import (
    ApprovalNotRecordedError,
    DuplicateSuggestionError,
    InvalidCursorError,
    SuggestionAlreadyDecidedError,
    SuggestionNotFoundError,
    SuggestionValidationError,
    approve,
    get_suggestion,
    moderation_queue,
    reject,
    suggest,
)
from functions.content.urls import content_id_for_url
from tests.integration.test_feed_pulls import pull_feeds

ARTICLE = "https://www.example.com/blog/serverless-at-scale/"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def queue_ids() -> list[str]:
    return [s.id for s in moderation_queue(limit=100)[0]]


def test_a_suggestion_waits_in_the_queue(aws: None) -> None:
    made = suggest("ada", ARTICLE + "?utm_source=slack", "  Great read on our stack  ", now=START)

    assert (made.status, made.comment, made.url, made.created_at) == (
        "pending",
        "Great read on our stack",
        ARTICLE,
        "2026-11-23T09:00:00Z",
    )
    assert moderation_queue() == ([made], None)
    assert get_suggestion(made.id) == made


def test_the_queue_is_oldest_first_and_paginated_with_a_cursor(aws: None) -> None:
    made = [
        suggest(f"employee-{n}", f"https://news.example.org/{n}", "", now=START + timedelta(minutes=10 - n))
        for n in range(5)
    ]
    oldest_first = [s.id for s in reversed(made)]

    first, cursor = moderation_queue(limit=2)
    second, cursor2 = moderation_queue(limit=2, cursor=cursor)
    third, cursor3 = moderation_queue(limit=2, cursor=cursor2)

    assert [s.id for s in first + second + third] == oldest_first
    assert cursor and cursor2 and cursor3 is None
    assert moderation_queue(limit=5) == (list(reversed(made)), None)  # a full last page has no cursor


@pytest.mark.parametrize("cursor", ["not-base64!", "bm9wZQ", "eyJpZCI6IDF9", "W10", "WyJhIiwgMV0"])
def test_a_cursor_this_module_did_not_issue_is_refused(aws: None, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        moderation_queue(cursor=cursor)


def test_the_same_employee_cannot_suggest_the_same_article_twice_while_pending(aws: None) -> None:
    first = suggest("ada", ARTICLE, "one", now=START)
    with pytest.raises(DuplicateSuggestionError) as raised:
        suggest("ada", "HTTPS://WWW.EXAMPLE.COM/blog/serverless-at-scale?fbclid=x", "again")
    assert raised.value.suggestion_id == first.id

    other = suggest("grace", ARTICLE, "me too", now=START)  # someone else may
    assert queue_ids() == [first.id, other.id]
    assert get_suggestion(first.id).comment == "one"


def test_a_rejected_article_may_be_suggested_again_but_an_approved_one_not(aws: None) -> None:
    rejected = suggest("ada", ARTICLE, "", now=START)
    reject(rejected.id, moderator="mod", note="Paywalled")
    again = suggest("ada", ARTICLE, "It is free now", now=START + timedelta(days=1))
    assert (again.id, get_suggestion(again.id).status) == (rejected.id, "pending")

    approve(again.id, moderator="mod", publish=False)
    with pytest.raises(DuplicateSuggestionError):
        suggest("ada", ARTICLE, "third time")


def test_approving_and_publishing_puts_the_article_in_the_library(aws: None) -> None:
    made = suggest("ada", ARTICLE, "", now=START)

    item = approve(made.id, moderator="mod@example.com", publish=True, title="Serverless at scale", now=START)

    assert item == ContentStore().get(content_id_for_url(ARTICLE))
    assert (item.status, item.title, item.url, item.kind) == (
        "published",
        "Serverless at scale",
        ARTICLE,
        "third_party",
    )
    decided = get_suggestion(made.id)
    assert (decided.status, decided.moderator, decided.decided_at, decided.content_id) == (
        "approved",
        "mod@example.com",
        "2026-11-23T09:00:00Z",
        item.id,
    )
    assert queue_ids() == []


def test_approving_as_a_draft_titles_it_from_the_url_until_an_editor_does(aws: None) -> None:
    made = suggest("ada", ARTICLE, "")

    item = approve(made.id, moderator="mod", publish=False, summary="Why it scales", language="pl", topics=["Cloud"])

    stored = ContentStore().get(item.id)
    assert stored is not None
    assert (stored.status, stored.title, stored.summary, stored.language, stored.topics) == (
        "draft",
        "www.example.com/blog/serverless-at-scale",
        "Why it scales",
        "pl",
        ("cloud",),
    )


def test_an_article_already_in_the_library_is_linked_not_duplicated(aws: None) -> None:
    add_feed_source("https://www.example.com/feed", added_by="ops")
    feed = f'<rss version="2.0"><channel><title>x</title><item><title>From the feed</title><link>{ARTICLE}</link>'
    pull_feeds(lambda url: (feed + "</item></channel></rss>").encode())
    made = suggest("ada", ARTICLE + "#top", "")

    item = approve(made.id, moderator="mod", publish=True, title="Mine")

    assert (item.title, item.status) == ("From the feed", "draft")  # the library's item, unchanged
    assert get_suggestion(made.id).content_id == item.id


def test_a_rejection_needs_a_note_and_leaves_the_queue(aws: None) -> None:
    made = suggest("ada", ARTICLE, "")
    for note, why in (("  ", "is required"), ("x" * 501, "at most 500")):
        with pytest.raises(SuggestionValidationError) as raised:
            reject(made.id, moderator="mod", note=note)
        assert why in raised.value.fields["note"]
    assert queue_ids() == [made.id]

    decided = reject(made.id, moderator="mod", note="Off topic for us", now=START)

    assert (decided.status, decided.note, decided.moderator, decided.decided_at) == (
        "rejected",
        "Off topic for us",
        "mod",
        "2026-11-23T09:00:00Z",
    )
    assert decided.content_id is None
    assert queue_ids() == []


def test_a_suggestion_is_decided_once(aws: None) -> None:
    made = suggest("ada", ARTICLE, "")
    approve(made.id, moderator="first", publish=True)

    with pytest.raises(SuggestionAlreadyDecidedError):
        approve(made.id, moderator="second", publish=False)
    with pytest.raises(SuggestionAlreadyDecidedError):
        reject(made.id, moderator="second", note="No")
    assert get_suggestion(made.id).moderator == "first"


def test_two_moderators_racing_cannot_both_decide(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    made = suggest("ada", ARTICLE, "")
    reject(made.id, moderator="fast", note="Not for us")
    # The slower moderator read the suggestion while it was still pending.
    monkeypatch.setattr(suggestions, "get_suggestion", lambda _id: made)

    with pytest.raises(SuggestionAlreadyDecidedError):
        approve(made.id, moderator="slow", publish=True)

    assert ContentStore().get(content_id_for_url(ARTICLE)) is None  # nothing published behind the rejection


def test_when_the_item_cannot_be_stored_the_suggestion_stays_in_the_queue(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.config import settings
    from tests.integration.test_approval_points import trouble_with

    made = suggest("ada", ARTICLE, "")
    trouble_with(monkeypatch, settings().content_table, "throttled")

    with pytest.raises(ApprovalNotRecordedError):
        approve(made.id, moderator="mod", publish=True)

    back = get_suggestion(made.id)
    assert (back.status, back.moderator, back.content_id) == ("pending", None, None)
    assert queue_ids() == [made.id]


def test_a_title_the_library_refuses_leaves_the_suggestion_pending(aws: None) -> None:
    made = suggest("ada", ARTICLE, "")
    with pytest.raises(ContentValidationError) as raised:
        approve(made.id, moderator="mod", publish=True, title="x" * 301)
    assert set(raised.value.fields) == {"title"}
    assert queue_ids() == [made.id]


def test_unknown_suggestions_are_not_found(aws: None) -> None:
    with pytest.raises(SuggestionNotFoundError):
        approve("s-nope", moderator="mod", publish=True)
    with pytest.raises(SuggestionNotFoundError):
        reject("s-nope", moderator="mod", note="No")


@pytest.mark.parametrize(
    ("url", "comment", "field"),
    [
        ("javascript:alert(1)", "", "url"),
        ("http://10.0.0.5/wiki", "", "url"),
        ("not a url", "", "url"),
        (ARTICLE, "x" * 501, "comment"),
    ],
)
def test_an_invalid_suggestion_is_refused_naming_the_field(aws: None, url: str, comment: str, field: str) -> None:
    with pytest.raises(SuggestionValidationError) as raised:
        suggest("ada", url, comment)
    assert set(raised.value.fields) == {field}
    assert queue_ids() == []
