-- The fact rows a KPI request covers: its days, and its slice (a NULL parameter takes every value).
-- Parameters: start day, end day, team, campaign, network, language, kind, country, device.
-- Reads `facts`. Every KPI query (kpi_*.sql) reads it as `selected` (`functions.kpis.queries.statement`).
-- Rows are not summed here: a revision's -1 row and the +1 row it moves an event to cancel in each query's
-- own sums, and a query that counts employees sums per employee first, so a year of facts streams through
-- with one small table of groups per query.
SELECT
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted,
    events, unique_human_clicks, points
FROM facts
WHERE day BETWEEN CAST(? AS VARCHAR) AND CAST(? AS VARCHAR)
    AND team = COALESCE(CAST(? AS VARCHAR), team)
    AND campaign = COALESCE(CAST(? AS VARCHAR), campaign)
    AND network = COALESCE(CAST(? AS VARCHAR), network)
    AND language = COALESCE(CAST(? AS VARCHAR), language)
    AND kind = COALESCE(CAST(? AS VARCHAR), kind)
    AND country = COALESCE(CAST(? AS VARCHAR), country)
    AND device = COALESCE(CAST(? AS VARCHAR), device)
