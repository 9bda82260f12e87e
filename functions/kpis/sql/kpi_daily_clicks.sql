-- Clicks per day, for the surge flags (functions/kpis/surges.py compares each day with the days before it,
-- so this runs over a range that starts before the report's): human clicks per network, and per reason the
-- clicks that earned nothing (filtered out, or a human click that was a repeat, the sharer's own or over an
-- address's cap: what one visitor hammering links leaves). Two groupings in one pass.
SELECT
    day,
    CASE WHEN GROUPING(network) = 0 THEN 'network' ELSE 'reason' END AS dimension,
    network,
    outcome AS reason,
    SUM(CASE WHEN counted THEN events ELSE 0 END) AS human_clicks,
    SUM(CASE WHEN outcome <> 'unique' THEN events ELSE 0 END) AS clicks_earning_nothing
FROM selected
WHERE type = 'click'
GROUP BY GROUPING SETS ((day, network), (day, outcome))
