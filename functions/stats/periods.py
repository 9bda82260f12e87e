"""Period keys for counts and leaderboards: a day, an ISO week, a month, and all time (UTC)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

PERIODS = ("day", "week", "month", "all")
LEADERBOARD_PERIODS = ("week", "month", "all")


def period_key(period: str, day: date) -> str:
    if period == "day":
        return f"D#{day.isoformat()}"
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"W#{year}-W{week:02d}"
    if period == "month":
        return f"M#{day:%Y-%m}"
    if period == "all":
        return "A"
    raise ValueError(f"unknown period: {period}")


def period_keys(day: str | date) -> dict[str, str]:
    """Every period a day belongs to: {"day": "D#…", "week": "W#…", "month": "M#…", "all": "A"}."""
    as_date = date.fromisoformat(day) if isinstance(day, str) else day
    return {period: period_key(period, as_date) for period in PERIODS}


def current_key(period: str, now: datetime) -> str:
    return period_key(period, now.date())


def kept_keys(day: str | date) -> dict[str, str]:
    """The period keys an employee's figures are kept for on ``day``: this and the previous week and month,
    and all time. Figures of older periods are dropped (their boards keep the final standings)."""
    as_date = date.fromisoformat(day) if isinstance(day, str) else day
    last_week = as_date - timedelta(days=7)
    last_month = as_date.replace(day=1) - timedelta(days=1)
    return {
        "week": period_key("week", as_date),
        "previous_week": period_key("week", last_week),
        "month": period_key("month", as_date),
        "previous_month": period_key("month", last_month),
        "all": "A",
    }


def dropped_keys(day: str | date) -> set[str]:
    """The week and month before the previous ones on ``day``: figures an employee's item may still hold
    from the last time it was updated, removed with its next update."""
    as_date = date.fromisoformat(day) if isinstance(day, str) else day
    two_months_ago = (as_date.replace(day=1) - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    return {period_key("week", as_date - timedelta(days=14)), period_key("month", two_months_ago)}
