-- A day's fact files as one: rows of equal dimensions summed, those a revision brought to nothing left out.
-- Reads `fact_rows` (the day's newest part and the slice files after it); recompute.live() reads it too.
SELECT
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted,
    SUM(events) AS events,
    SUM(unique_human_clicks) AS unique_human_clicks,
    SUM(points) AS points
FROM fact_rows
GROUP BY ALL
HAVING SUM(events) <> 0 OR SUM(unique_human_clicks) <> 0 OR SUM(points) <> 0
ORDER BY ALL
