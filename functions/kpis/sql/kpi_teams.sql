-- Per team (the employee's team when the event happened): points, counted shares and unique human clicks.
-- functions/kpis/query.py divides the points by the team's active members (the directory's counts) and
-- ranks the teams by that, so a large team does not win by its size.
SELECT
    team,
    SUM(points) AS points,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks
FROM selected
WHERE type IN ('share', 'click') AND team <> ''
GROUP BY team
