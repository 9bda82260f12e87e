-- Per day: counted shares, human and unique human clicks, and how many employees shared.
SELECT
    day,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
    SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks,
    COUNT(DISTINCT CASE WHEN type = 'share' AND counted AND events > 0 THEN employee_id END) AS participation
FROM selected
GROUP BY day
ORDER BY day
