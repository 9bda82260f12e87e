-- Per day: counted shares, human and unique human clicks, and how many employees shared (their counted
-- shares that day summed first, so a revision's -1 cancels its +1).
SELECT
    totals.day, totals.shares, totals.human_clicks, totals.unique_human_clicks,
    COALESCE(sharers.participation, 0) AS participation
FROM (
    SELECT
        day,
        SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
        SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
        SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks
    FROM selected
    WHERE type IN ('share', 'click')
    GROUP BY day
) AS totals
LEFT JOIN (
    SELECT day, COUNT(*) AS participation
    FROM (
        SELECT day, employee_id
        FROM selected
        WHERE type = 'share' AND counted
        GROUP BY day, employee_id
        HAVING SUM(events) > 0
    ) AS shared
    GROUP BY day
) AS sharers
    ON sharers.day = totals.day
ORDER BY totals.day
