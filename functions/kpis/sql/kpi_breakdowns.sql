-- Shares and clicks broken down by network (the share -> click funnel, the EMV's inputs), by the reason a
-- click was not counted, by item, and by team (the team ranking: points ÷ active members, in query.py):
-- four groupings in one pass over the selected facts.
SELECT
    CASE
        WHEN GROUPING(network) = 0 THEN 'network'
        WHEN GROUPING(outcome) = 0 THEN 'reason'
        WHEN GROUPING(team) = 0 THEN 'team'
        ELSE 'content'
    END AS breakdown,
    network,
    outcome AS reason,
    content_id,
    team,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
    SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks,
    SUM(CASE WHEN type = 'click' AND NOT counted THEN events ELSE 0 END) AS filtered_clicks,
    SUM(points) AS points
FROM selected
WHERE type IN ('share', 'click')
GROUP BY GROUPING SETS ((network), (outcome), (content_id), (team))
