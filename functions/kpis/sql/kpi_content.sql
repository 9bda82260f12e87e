-- The ten items that brought the most human clicks (then shares).
SELECT
    content_id,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
    SUM(unique_human_clicks) AS unique_human_clicks
FROM selected
WHERE type IN ('share', 'click')
GROUP BY content_id
HAVING SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) > 0
    OR SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) > 0
ORDER BY human_clicks DESC, shares DESC, content_id
LIMIT 10
