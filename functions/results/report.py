"""The Results page's report for admins, rendered server-side: figures, SVG charts and their data tables.

``render_report(report, lang)`` turns a KPI report (functions/kpis) into an HTML fragment the site's Results
page inserts: each headline figure with its change against the previous period of equal length, trend charts
(daily human clicks, shares, employees sharing), the share → human click funnel per network, filtered clicks
by reason, top content and contributors, teams by points per active member, the digest funnel and the polls
(shown from 5 answers), under a "Flagged" list of the days a network or a reason surged. Every chart
has a table of the same numbers for screen readers and for copying; every text is escaped (autoescape).
"""

from __future__ import annotations

from typing import Any

from functions.results import charts

HEADLINE = (
    "human_clicks",
    "unique_human_clicks",
    "shares",
    "participation_rate",
    "adoption_rate",
    "clicks_per_share",
    "referral_clicks",
)
RATES = {"participation_rate", "adoption_rate"}


def change(now: float | None, then: float | None) -> float | None:
    """The relative change from the previous period, e.g. 0.25 for +25 %; None when there is nothing to compare."""
    if now is None or then is None or then == 0:
        return None
    return (now - then) / then


def render_report(report: Any, lang: str) -> str:
    """The fragment for ``report`` (a ``KpiReport``) in ``lang``."""
    from functions.i18n import format_number, supported_locale, template_callables, translations
    from functions.pages import render

    locale = supported_locale(lang)
    callables = template_callables(locale)
    gettext = translations(locale).gettext  # for the charts' texts (Jinja gets the escaping callables)

    def number(value: float | None, rate: bool = False) -> str:
        if value is None:
            return "–"
        if rate:
            return format_number(round(value * 100, 1), locale) + " %"
        return format_number(round(value, 2), locale)

    series = report.series
    networks = sorted(set(report.shares) - {"total"} | set(report.human_clicks_by_network))
    per_network = report.earned_media_value["per_network"]
    figures = [
        {
            "name": name,
            "value": number(
                getattr(report, name) if name != "shares" else report.shares.get("total", 0), name in RATES
            ),
            "change": change(
                getattr(report, name) if name != "shares" else report.shares.get("total", 0), report.previous[name]
            ),
            "previous": number(report.previous[name], name in RATES),
        }
        for name in HEADLINE
    ]
    trends = []
    for key, title, colour in (
        ("human_clicks", gettext("Human clicks per day"), charts.BLUE),
        ("shares", gettext("Shares per day"), charts.GREEN),
        ("participation", gettext("Employees sharing per day"), charts.INK),
    ):
        points = [(point["day"], point["value"]) for point in series[key]]
        summary = gettext("Daily, %(start)s to %(end)s: %(total)s in all, at most %(most)s in a day") % {
            "start": report.range["start"],
            "end": report.range["end"],
            "total": number(sum(value for _, value in points)),
            "most": number(max((value for _, value in points), default=0)),
        }
        trends.append(
            {
                "title": title,
                "chart": charts.trend(points, title=title, description=summary, colour=colour),
                "rows": [(day, number(value)) for day, value in points],
            }
        )
    clicks_by_network = {network: report.human_clicks_by_network.get(network, 0) for network in networks}
    funnel = charts.paired_bars(
        [(network, report.shares.get(network, 0), clicks_by_network[network]) for network in networks],
        title=gettext("Shares and the human clicks they brought, per network"),
        description=gettext("Per network: shares, then human clicks"),
        legend=(gettext("Shares"), gettext("Human clicks")),
    )
    filtered = charts.bars(
        list(report.filtered_clicks.items()),
        title=gettext("Clicks not counted, by reason"),
        description=gettext("Filtered clicks per reason"),
        colour=charts.INK,
    )
    funnel_rows = [
        (
            network,
            number(report.shares.get(network, 0)),
            number(clicks_by_network[network]),
            f"{number(per_network.get(network, 0))} {report.earned_media_value['currency']}",
        )
        for network in networks
    ]
    filtered_rows = [(reason, number(clicks)) for reason, clicks in report.filtered_clicks.items()]
    teams = charts.bars(
        [(row["team"], row["points_per_member"] or 0) for row in report.team_ranking],
        title=gettext("Points per active member, by team"),
        description=gettext("Teams ranked by points per active member, so a large team does not win by its size"),
        colour=charts.GREEN,
    )
    team_columns = ("points_per_member", "active_members", "points", "shares", "unique_human_clicks")
    team_rows = [(row["team"], *(number(row[name]) for name in team_columns)) for row in report.team_ranking]
    return render(
        "results_report.html",
        lang=locale,
        _=callables["gettext"],
        **callables,
        report=report,
        figures=figures,
        trends=trends,
        funnel=funnel,
        funnel_rows=funnel_rows,
        filtered_rows=filtered_rows,
        filtered=filtered,
        teams=teams,
        team_rows=team_rows,
        flags=[_flag(surge, gettext, number) for surge in report.surges],
        number=number,
    )


def _flag(surge: dict[str, Any], gettext: Any, number: Any) -> str:
    """A surge in words, in the page's language (escaped by the template, like every text)."""
    values = {"day": surge["day"], "value": number(surge["value"]), "baseline": number(surge["baseline"])}
    if "network" in surge:
        text = gettext("%(day)s: %(value)s human clicks on %(network)s, against a median of %(baseline)s a day before")
        return text % {**values, "network": surge["network"]}
    text = gettext(
        "%(day)s: %(value)s clicks that earned no points (%(reason)s), against a median of %(baseline)s a day before"
    )
    return text % {**values, "reason": surge["reason"]}
