"""Pagination cursors: they round-trip, and any change to them or to the query is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.cursors import CursorError, decode_cursor, encode_cursor

keys = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.dictionaries(st.sampled_from(["S", "N"]), st.text(max_size=30), min_size=1, max_size=1),
    min_size=1,
    max_size=4,
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions import secrets

    monkeypatch.setattr(secrets, "master_secret", lambda: b"unit-test-secret")


@given(keys, st.lists(st.text(max_size=10), max_size=3))
def test_a_cursor_round_trips(key: dict, query: list[str]) -> None:
    assert decode_cursor(encode_cursor(key, query), query) == key


@settings(max_examples=200)
@given(keys, st.data())
def test_any_edit_to_a_cursor_is_refused(key: dict, data: st.DataObject) -> None:
    cursor = encode_cursor(key, ("feed", "en"))
    position = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1))
    replacement = data.draw(st.sampled_from("AZaz09-_."))
    edited = cursor[:position] + replacement + cursor[position + 1 :]
    if edited != cursor:
        with pytest.raises(CursorError):
            decode_cursor(edited, ("feed", "en"))


@given(keys)
def test_a_cursor_cannot_be_used_for_another_query(key: dict) -> None:
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor(key, ("feed", "en")), ("feed", "pl"))


def test_an_old_cursor_expires() -> None:
    cursor = encode_cursor({"id": {"S": "x"}}, ("feed",), now=1_000_000)
    with pytest.raises(CursorError, match="expired"):
        decode_cursor(cursor, ("feed",), now=1_000_000 + 2 * 86400)
