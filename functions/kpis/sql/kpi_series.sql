-- Per day: counted shares, human and unique human clicks, and how many employees shared.
SELECT
    day,
    SUM(shares) AS shares,
    SUM(human_clicks) AS human_clicks,
    SUM(unique_human_clicks) AS unique_human_clicks,
    COUNT(CASE WHEN shares > 0 THEN 1 END) AS participation
FROM (
    SELECT
        day,
        employee_id,
        SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
        SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
        SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks
    FROM selected
    WHERE type IN ('share', 'click')
    GROUP BY day, employee_id
) AS per_employee_day
GROUP BY day
ORDER BY day
