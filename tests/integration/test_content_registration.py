"""Registering a destination: only public http(s) URLs an admin registered ever redirect."""

from __future__ import annotations

import pytest

from functions.content.model import ContentValidationError, new_content
from functions.content.store import ContentExistsError


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://localhost/"],
)
def test_unsafe_destinations_are_refused_at_creation_naming_the_field(aws: None, url: str) -> None:
    with pytest.raises(ContentValidationError) as raised:
        new_content(url=url, title="Anything")
    assert set(raised.value.fields) == {"url"}


def test_every_bad_field_is_named_at_once(aws: None) -> None:
    with pytest.raises(ContentValidationError) as raised:
        new_content(url="ftp://x", title=" ", language="de", kind="ad", share_texts={"myspace": ["hi"]})
    assert set(raised.value.fields) == {"url", "title", "language", "kind", "share_texts.myspace"}


def test_a_registered_item_is_stored_and_read_back(aws: None) -> None:
    from functions.content.store import ContentStore

    item = new_content(url="https://example.com/a", title="Ünïcode title", language="lt", topics=["x"])
    store = ContentStore()
    store.add(item)
    assert store.get(item.id) == item
    with pytest.raises(ContentExistsError):
        store.add(item)  # never silently overwritten


def test_adding_an_item_whose_id_is_taken_is_a_domain_error_and_keeps_the_stored_one(aws: None) -> None:
    from dataclasses import replace

    from functions.content.store import ContentStore

    item = new_content(url="https://example.com/b", title="The first one")
    store = ContentStore()
    store.add(item)
    with pytest.raises(ContentExistsError) as raised:
        store.add(replace(item, title="A second one with the same id"))
    assert str(raised.value) == item.id
    assert store.get(item.id) == item
