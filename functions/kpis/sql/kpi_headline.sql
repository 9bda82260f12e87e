-- The headline figures of the selected facts (one row), summed per employee first: an employee shared,
-- took part or shared from a digest when their own events of that kind add up to more than nothing.
SELECT
    COALESCE(SUM(shares), 0) AS shares,
    COALESCE(SUM(human_clicks), 0) AS human_clicks,
    COALESCE(SUM(unique_human_clicks), 0) AS unique_human_clicks,
    COALESCE(SUM(filtered_clicks), 0) AS filtered_clicks,
    COALESCE(SUM(referral_clicks), 0) AS referral_clicks,
    COALESCE(SUM(points), 0) AS points,
    COUNT(CASE WHEN shares > 0 THEN 1 END) AS sharers,
    COUNT(CASE WHEN taking_part > 0 THEN 1 END) AS participants,
    COALESCE(SUM(digests), 0) AS digests_sent,
    COUNT(CASE WHEN digest_shares > 0 THEN 1 END) AS sharers_from_digest
FROM (
    SELECT
        employee_id,
        SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
        SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
        SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks,
        SUM(CASE WHEN type = 'click' AND NOT counted THEN events ELSE 0 END) AS filtered_clicks,
        SUM(CASE WHEN type = 'click' AND counted AND referral THEN events ELSE 0 END) AS referral_clicks,
        SUM(points) AS points,
        -- taking part: opened the site with their token, or a share link in their own browser
        SUM(CASE
            WHEN type = 'seen' OR (type = 'share' AND outcome IN ('counted', 'duplicate_share')) THEN events
            ELSE 0
        END) AS taking_part,
        SUM(CASE WHEN type = 'digest' THEN events ELSE 0 END) AS digests,
        SUM(CASE WHEN type = 'share' AND counted AND source = 'digest' THEN events ELSE 0 END) AS digest_shares
    FROM selected
    GROUP BY employee_id
) AS per_employee
