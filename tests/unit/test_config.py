"""Settings from the environment: the digest's knobs and clear errors for bad values."""

from __future__ import annotations

import pytest

from functions.config import Settings


def test_digest_defaults_are_eight_items_at_eight_with_the_dell_rule() -> None:
    settings = Settings.from_env({})
    assert (settings.digest_hour, settings.digest_items, settings.digest_company_share) == (8, 8, 0.2)


def test_digest_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"DIGEST_HOUR": "7", "DIGEST_ITEMS": "10", "DIGEST_COMPANY_SHARE": "0.5"})
    assert (settings.digest_hour, settings.digest_items, settings.digest_company_share) == (7, 10, 0.5)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DIGEST_HOUR", "24", "between 0 and 23"),
        ("DIGEST_ITEMS", "11", "between 1 and 10"),
        ("DIGEST_ITEMS", "0", "between 1 and 10"),
        ("DIGEST_COMPANY_SHARE", "1.5", "between 0 and 1"),
        ("DIGEST_COMPANY_SHARE", "a fifth", "a number"),
        ("MAIL_CONFIGURATION_SET", "", None),
        ("ENPS_POLL", "weekly", "one of off, monthly, quarterly"),
        ("SATISFACTION_POLL", "yes", "one of off, monthly, quarterly"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, says: str | None) -> None:
    if says is None:
        assert Settings.from_env({name: value}).mail_configuration_set is None
        return
    with pytest.raises(ValueError, match=f"{name} must be .*{says}"):
        Settings.from_env({name: value})


def test_polls_are_asked_quarterly_and_monthly_unless_switched() -> None:
    defaults = Settings.from_env({})
    assert (defaults.enps_poll, defaults.satisfaction_poll) == ("quarterly", "monthly")
    chosen = Settings.from_env({"ENPS_POLL": "Monthly", "SATISFACTION_POLL": "off"})
    assert (chosen.enps_poll, chosen.satisfaction_poll) == ("monthly", "off")


def test_the_worker_takes_its_item_count_and_mix_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.digest import compose

    configured = Settings.from_env({"DIGEST_ITEMS": "5", "DIGEST_COMPANY_SHARE": "0.4"})
    monkeypatch.setattr(compose, "settings", lambda: configured)
    composer = compose.Composer()
    assert (composer.limit, composer.company_share) == (5, 0.4)


def test_counting_defaults_are_five_minute_slices_of_minute_buckets_over_ten_shards() -> None:
    settings = Settings.from_env({})
    assert (settings.count_slice_seconds, settings.count_grace_seconds) == (300, 60)
    assert (settings.event_bucket_seconds, settings.event_shards) == (60, 10)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"COUNT_SLICE_SECONDS": "300", "EVENT_BUCKET_SECONDS": "7"}, "must divide COUNT_SLICE_SECONDS"),
        ({"COUNT_SLICE_SECONDS": "7", "EVENT_BUCKET_SECONDS": "1"}, "which must divide a day"),
        ({"EVENT_SHARDS": "0"}, "EVENT_SHARDS must be between 1 and 100"),
        ({"COUNT_GRACE_SECONDS": "soon"}, "COUNT_GRACE_SECONDS must be a whole number"),
    ],
)
def test_counting_settings_that_cannot_work_are_refused(env: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Settings.from_env(env)


def test_points_rules_default_to_one_ten_and_five_and_are_read_from_the_environment() -> None:
    rules = Settings.from_env({})
    assert (rules.points_per_share, rules.points_per_unique_human_click, rules.points_per_approved_suggestion) == (
        1,
        10,
        5,
    )
    env = {"POINTS_PER_SHARE": "2", "POINTS_PER_UNIQUE_CLICK": "8", "POINTS_PER_APPROVED_SUGGESTION": "0"}
    rules = Settings.from_env(env)
    assert (rules.points_per_share, rules.points_per_unique_human_click, rules.points_per_approved_suggestion) == (
        2,
        8,
        0,
    )
    assert Settings.from_env({"POINTS_PER_UNIQUE_HUMAN_CLICK": "9"}).points_per_unique_human_click == 9  # older name


@pytest.mark.parametrize("name", ["POINTS_PER_SHARE", "POINTS_PER_UNIQUE_CLICK", "POINTS_PER_APPROVED_SUGGESTION"])
@pytest.mark.parametrize(("value", "says"), [("-1", "negative"), ("1001", "between 0 and 1000"), ("ten", "whole")])
def test_points_rules_that_make_no_sense_are_refused_naming_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must .*{says}"):
        Settings.from_env({name: value})
