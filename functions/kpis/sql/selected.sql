-- The facts a KPI request covers: its days, and its slice (a NULL parameter takes every value), each
-- combination's rows summed (a revision's -1 and +1 cancel) and those left at nothing dropped.
-- Parameters: start day, end day, team, campaign, network, language, kind, country, device.
-- Reads `facts`. Every KPI query (kpi_*.sql) reads this as `selected`; compacting a day's fact files writes
-- it for that day, unsliced.
SELECT
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted,
    SUM(events) AS events,
    SUM(unique_human_clicks) AS unique_human_clicks,
    SUM(points) AS points
FROM facts
WHERE day BETWEEN CAST(? AS VARCHAR) AND CAST(? AS VARCHAR)
    AND team = COALESCE(CAST(? AS VARCHAR), team)
    AND campaign = COALESCE(CAST(? AS VARCHAR), campaign)
    AND network = COALESCE(CAST(? AS VARCHAR), network)
    AND language = COALESCE(CAST(? AS VARCHAR), language)
    AND kind = COALESCE(CAST(? AS VARCHAR), kind)
    AND country = COALESCE(CAST(? AS VARCHAR), country)
    AND device = COALESCE(CAST(? AS VARCHAR), device)
GROUP BY
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted
HAVING SUM(events) <> 0 OR SUM(unique_human_clicks) <> 0 OR SUM(points) <> 0
