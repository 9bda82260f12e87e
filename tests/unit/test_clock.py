"""One spelling of time: what every stored stamp looks like, and that stamps sort as text in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.clock import Precision, from_epoch, parse_utc, utc_stamp

WARSAW_WINTER = timezone(timedelta(hours=1))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def test_a_stamp_is_utc_to_the_second_and_ends_in_z() -> None:
    moment = datetime(2026, 11, 23, 9, 5, 37, 987654, tzinfo=WARSAW_WINTER)
    assert utc_stamp(moment) == "2026-11-23T08:05:37Z"


def test_the_event_logs_stamp_keeps_milliseconds() -> None:
    moment = datetime(2026, 11, 23, 8, 5, 37, 987654, tzinfo=UTC)
    assert utc_stamp(moment, timespec="milliseconds") == "2026-11-23T08:05:37.987Z"
    assert utc_stamp(moment.replace(microsecond=0), timespec="milliseconds") == "2026-11-23T08:05:37.000Z"


def test_without_a_moment_it_is_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    stamped = parse_utc(utc_stamp())
    assert before <= stamped <= datetime.now(UTC)


def test_a_naive_datetime_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_stamp(datetime(2026, 11, 23, 8, 5))


def test_from_epoch_is_aware_utc() -> None:
    assert from_epoch(1_795_421_137) == datetime(2026, 11, 23, 8, 5, 37, tzinfo=UTC)
    assert utc_stamp(from_epoch(1_795_421_137.9)) == "2026-11-23T08:05:37Z"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T08:05:37Z",  # what Chorus writes now, and what EventBridge sends
        "2026-11-23T08:05:37+00:00",  # what older versions wrote for some attributes
        "2026-11-23T09:05:37+01:00",
        "2026-11-23T08:05:37",  # no offset: UTC, as the admin's form may send it
    ],
)
def test_both_spellings_and_any_offset_read_as_the_same_utc_instant(text: str) -> None:
    moment = parse_utc(text)
    assert moment == datetime(2026, 11, 23, 8, 5, 37, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


def test_text_that_is_not_a_time_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_utc("next tuesday")


@pytest.mark.parametrize(
    ("timespec", "unit"), [("seconds", timedelta(seconds=1)), ("milliseconds", timedelta(milliseconds=1))]
)
@given(a=MOMENTS, b=MOMENTS)
def test_stamps_of_one_precision_sort_as_text_in_time_order(
    timespec: Precision, unit: timedelta, a: datetime, b: datetime
) -> None:
    floor_a, floor_b = (moment - (moment - EPOCH) % unit for moment in (a, b))
    stamp_a, stamp_b = utc_stamp(a, timespec=timespec), utc_stamp(b, timespec=timespec)
    assert (stamp_a < stamp_b) == (floor_a < floor_b)
    assert (stamp_a == stamp_b) == (floor_a == floor_b)


@given(MOMENTS)
def test_a_stamp_reads_back_as_its_moment_truncated(moment: datetime) -> None:
    assert parse_utc(utc_stamp(moment)) == moment.replace(microsecond=0)
    assert parse_utc(utc_stamp(moment, timespec="milliseconds")) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )
