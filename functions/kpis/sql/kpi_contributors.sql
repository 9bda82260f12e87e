-- The ten employees with the most points (then unique human clicks, shares), with the team they last had.
SELECT
    employee_id,
    MAX_BY(team, day) AS team,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
    SUM(unique_human_clicks) AS unique_human_clicks,
    SUM(points) AS points
FROM selected
WHERE type IN ('share', 'click')
GROUP BY employee_id
HAVING SUM(points) > 0
ORDER BY points DESC, unique_human_clicks DESC, shares DESC, employee_id
LIMIT 10
