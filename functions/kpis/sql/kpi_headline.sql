-- The headline figures of the selected facts (one row). Sums over every row; the employees who shared,
-- took part or shared from a digest are counted from their share and seen rows summed per employee first
-- (a revision's -1 cancels its +1: an employee whose only share was a scanner's is not a sharer).
SELECT
    totals.shares, totals.human_clicks, totals.unique_human_clicks, totals.filtered_clicks,
    totals.referral_clicks, totals.points, totals.digests_sent,
    people.sharers, people.participants, people.sharers_from_digest
FROM (
    SELECT
        COALESCE(SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END), 0) AS shares,
        COALESCE(SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END), 0) AS human_clicks,
        COALESCE(SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END), 0) AS unique_human_clicks,
        COALESCE(SUM(CASE WHEN type = 'click' AND NOT counted THEN events ELSE 0 END), 0) AS filtered_clicks,
        COALESCE(SUM(CASE WHEN type = 'click' AND counted AND referral THEN events ELSE 0 END), 0)
            AS referral_clicks,
        COALESCE(SUM(points), 0) AS points,
        COALESCE(SUM(CASE WHEN type = 'digest' THEN events ELSE 0 END), 0) AS digests_sent
    FROM selected
) AS totals
CROSS JOIN (
    SELECT
        COUNT(CASE WHEN shares > 0 THEN 1 END) AS sharers,
        COUNT(CASE WHEN taking_part > 0 THEN 1 END) AS participants,
        COUNT(CASE WHEN digest_shares > 0 THEN 1 END) AS sharers_from_digest
    FROM (
        SELECT
            employee_id,
            SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
            -- taking part: opened the site with their token, or a share link in their own browser
            SUM(CASE WHEN type = 'seen' OR outcome IN ('counted', 'duplicate_share') THEN events ELSE 0 END)
                AS taking_part,
            SUM(CASE WHEN type = 'share' AND counted AND source = 'digest' THEN events ELSE 0 END) AS digest_shares
        FROM selected
        WHERE type IN ('share', 'seen')
        GROUP BY employee_id
    ) AS per_employee
) AS people
