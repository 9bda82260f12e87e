-- The ten employees with the most points (then unique human clicks, shares), with the team they last had.
-- Only rows that earn or share can change these figures.
SELECT
    employee_id,
    MAX_BY(team, day) AS team,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(unique_human_clicks) AS unique_human_clicks,
    SUM(points) AS points
FROM selected
WHERE (type = 'share' AND counted) OR points <> 0 OR unique_human_clicks <> 0
GROUP BY employee_id
HAVING SUM(points) > 0
ORDER BY points DESC, unique_human_clicks DESC, shares DESC, employee_id
LIMIT 10
