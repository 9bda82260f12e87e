"""Earned media value: what the programme's clicks and estimated impressions would have cost as ads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.config import EmvPrices


def formula(prices: EmvPrices) -> str:
    """The formula with the prices it uses, as shown beside the figure."""

    def listed(values: Mapping[str, float]) -> str:
        return ", ".join(f"{network} {value:g}" for network, value in values.items())

    return (
        "sum over networks of (human clicks × CPC + shares × impressions per share ÷ 1000 × CPM), "
        f"in {prices.currency}; CPC: {listed(prices.cpc)}; CPM: {listed(prices.cpm)}; "
        f"impressions per share (assumed): {listed(prices.impressions_per_share)}"
    )


def earned_media_value(per_network: Mapping[str, Mapping[str, int]], prices: EmvPrices) -> dict[str, Any]:
    """``per_network``: network -> {"shares", "human_clicks"}."""
    values: dict[str, float] = {}
    for network, figures in sorted(per_network.items()):
        clicks = figures.get("human_clicks", 0) * prices.cpc.get(network, 0.0)
        impressions = figures.get("shares", 0) * prices.impressions_per_share.get(network, 0.0)
        values[network] = round(clicks + impressions / 1000 * prices.cpm.get(network, 0.0), 2)
    return {
        "value": round(sum(values.values()), 2),
        "currency": prices.currency,
        "formula": formula(prices),
        "per_network": values,
    }
