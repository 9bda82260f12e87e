"""The KPI report: what ``functions.kpis.query.kpis`` answers, as JSON-able figures."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class KpiReport:
    range: dict[str, str]  # {"start", "end"}: ISO days, inclusive
    filters: dict[str, str]  # the slice asked for (only the filters given)
    participation_rate: float | None  # active employees who shared ÷ active employees (None: nobody active)
    adoption_rate: float | None  # employees who took part ÷ everyone in the directory
    shares: dict[str, int]  # per network, and "total"
    human_clicks: int
    unique_human_clicks: int
    filtered_clicks: dict[str, int]  # per reason
    clicks_per_share: float | None
    top_contributors: list[dict[str, Any]]
    top_content: list[dict[str, Any]]
    earned_media_value: dict[str, Any]  # {"value", "currency", "formula", "per_network"}
    referral_clicks: int
    digest_funnel: dict[str, int]
    series: dict[str, list[dict[str, Any]]]  # figure -> [{"day", "value"}], one per day of the range
    previous: dict[str, Any]  # the headline figures of the period of equal length just before
    sharers: int = 0  # employees who shared in the range (the numerator of participation_rate)
    human_clicks_by_network: dict[str, int] = field(default_factory=dict)  # the share → click funnel's end
    # teams by points per active member: [{"team", "active_members", "points", "points_per_member", "shares",
    # "unique_human_clicks"}]; days flagged: [{"day", "network" or "reason", "value", "baseline", "why"}]
    team_ranking: list[dict[str, Any]] = field(default_factory=list)
    surges: list[dict[str, Any]] = field(default_factory=list)
    enps: Any = None  # filled by the eNPS poll (another module)
    programme_satisfaction: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
