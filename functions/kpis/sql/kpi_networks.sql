-- Per network: counted shares, human and unique human clicks (the share -> click funnel; the EMV's inputs).
SELECT
    network,
    SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
    SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
    SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks
FROM selected
WHERE type IN ('share', 'click')
GROUP BY network
ORDER BY network
