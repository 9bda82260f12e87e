import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.signing import SignatureError, sign, verify

KEY = b"k" * 32
NOW = 1_800_000_000


def test_a_valid_signature_verifies() -> None:
    sig = sign(KEY, "share", ("emp", "item", "linkedin"), NOW + 60)
    verify(KEY, "share", ("emp", "item", "linkedin"), str(NOW + 60), sig, now=NOW)


@pytest.mark.parametrize(
    ("values", "expiry", "purpose", "key"),
    [
        (("other", "item", "linkedin"), NOW + 60, "share", KEY),  # another employee
        (("emp", "item", "x"), NOW + 60, "share", KEY),  # another network
        (("emp", "item", "linkedin"), NOW + 6000, "share", KEY),  # a longer expiry
        (("emp", "item", "linkedin"), NOW + 60, "unsubscribe", KEY),  # another purpose
        (("emp", "item", "linkedin"), NOW + 60, "share", b"x" * 32),  # another deployment's key
    ],
)
def test_any_change_is_detected_as_forgery(values: tuple, expiry: int, purpose: str, key: bytes) -> None:
    sig = sign(KEY, "share", ("emp", "item", "linkedin"), NOW + 60)
    with pytest.raises(SignatureError) as raised:
        verify(key, purpose, values, expiry, sig, now=NOW)
    assert raised.value.reason == "forged"


def test_field_boundaries_are_part_of_the_signature() -> None:
    sig = sign(KEY, "share", ("ab", "c"), NOW + 60)
    with pytest.raises(SignatureError):
        verify(KEY, "share", ("a", "bc"), NOW + 60, sig, now=NOW)


def test_an_expired_link_says_so() -> None:
    sig = sign(KEY, "share", ("emp",), NOW - 1)
    with pytest.raises(SignatureError, match="expired") as raised:
        verify(KEY, "share", ("emp",), NOW - 1, sig, now=NOW)
    assert raised.value.reason == "expired"


@pytest.mark.parametrize(
    ("expiry", "sig", "reason"),
    [
        (None, "abc", "missing"),
        ("", "abc", "missing"),
        (NOW, None, "missing"),
        ("soon", "abc", "malformed"),
        (NOW + 60, "x" * 500, "malformed"),
        (NOW + 60, "ünïcödé", "forged"),
    ],
)
def test_missing_or_garbage_parameters_are_refused(expiry: object, sig: object, reason: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify(KEY, "share", ("emp",), expiry, sig, now=NOW)  # type: ignore[arg-type]
    assert raised.value.reason == reason


@given(st.lists(st.text(max_size=20), max_size=4), st.integers(min_value=NOW, max_value=NOW * 2))
def test_signatures_round_trip_and_are_url_safe(values: list[str], expiry: int) -> None:
    sig = sign(KEY, "share", values, expiry)
    assert sig.replace("-", "").replace("_", "").isalnum()
    verify(KEY, "share", values, expiry, sig, now=NOW)
