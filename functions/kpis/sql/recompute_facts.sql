-- A day's facts rebuilt from its archived events: each event counted as its newest decision says (a
-- revision row repeats the event's id with a later decision; a late copy of an event already counted,
-- `duplicate_event`, and an event counted too late keep their own row). The same columns, order and
-- grouping as compact_facts.sql, so the two can be compared row for row. Reads `events`.
SELECT
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted,
    COUNT(*) AS events,
    SUM(CASE WHEN unique_click THEN 1 ELSE 0 END) AS unique_human_clicks,
    SUM(points) AS points
FROM (
    SELECT
        e.day, e.employee_id, e.team, e.content_id, e.campaign, e.language, e.content_kind AS kind,
        e.referral, e.network, e.country, e.device, e.type, e.source,
        COALESCE(r.outcome, e.outcome) AS outcome,
        COALESCE(r.counted, e.counted) AS counted,
        COALESCE(r.unique_click, e.unique_click) AS unique_click,
        COALESCE(r.points, e.points) AS points
    FROM events AS e
    LEFT JOIN (
        SELECT
            id, outcome, counted, unique_click, points,
            ROW_NUMBER() OVER (PARTITION BY id ORDER BY slice DESC, revision DESC) AS newest
        FROM events
        WHERE revision > 0
    ) AS r
        ON r.id = e.id AND r.newest = 1 AND e.outcome NOT IN ('duplicate_event', 'too_late')
    WHERE e.revision = 0
) AS decided
GROUP BY
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted
HAVING COUNT(*) <> 0
ORDER BY
    day, employee_id, team, content_id, campaign, language, kind, referral,
    network, country, device, type, source, outcome, counted
