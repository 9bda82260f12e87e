-- The headline figures of the selected facts (one row).
SELECT
    COALESCE(SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END), 0) AS shares,
    COALESCE(SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END), 0) AS human_clicks,
    COALESCE(SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END), 0) AS unique_human_clicks,
    COALESCE(SUM(CASE WHEN type = 'click' AND NOT counted THEN events ELSE 0 END), 0) AS filtered_clicks,
    COALESCE(SUM(CASE WHEN type = 'click' AND counted AND referral THEN events ELSE 0 END), 0) AS referral_clicks,
    COALESCE(SUM(points), 0) AS points,
    COUNT(DISTINCT CASE WHEN type = 'share' AND counted AND events > 0 THEN employee_id END) AS sharers,
    COUNT(DISTINCT CASE
        WHEN events > 0 AND (type = 'seen' OR (type = 'share' AND outcome IN ('counted', 'duplicate_share')))
        THEN employee_id
    END) AS participants,
    COALESCE(SUM(CASE WHEN type = 'digest' THEN events ELSE 0 END), 0) AS digests_sent,
    COUNT(DISTINCT CASE
        WHEN type = 'share' AND counted AND source = 'digest' AND events > 0 THEN employee_id
    END) AS sharers_from_digest
FROM selected
