-- Human clicks that shares opened from a digest brought: clicks on the short link of an employee, item and
-- network that the employee shared from a digest in the period, on or after the day of that share.
SELECT COALESCE(SUM(clicks.events), 0) AS human_clicks_from_digest_shares
FROM selected AS clicks
JOIN (
    SELECT employee_id, content_id, network, MIN(day) AS first_day
    FROM selected
    WHERE type = 'share' AND counted AND source = 'digest'
    GROUP BY employee_id, content_id, network
    HAVING SUM(events) > 0
) AS shared
    ON clicks.employee_id = shared.employee_id
    AND clicks.content_id = shared.content_id
    AND clicks.network = shared.network
    AND clicks.day >= shared.first_day
WHERE clicks.type = 'click' AND clicks.counted
