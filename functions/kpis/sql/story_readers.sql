-- Every employee's items' readers (unique human clicks), all time: the last snapshot's (`story_readers`) plus
-- the unique human clicks of the closed days being folded in (`fact_rows`), with `before` the snapshot's
-- alone, so a pair that crossed a threshold is told from one that was over it (functions/kpis/readers.py).
SELECT
    employee_id,
    content_id,
    CAST(SUM(before) AS BIGINT) AS before,
    CAST(SUM(before) + SUM(added) AS BIGINT) AS readers
FROM (
    SELECT employee_id, content_id, readers AS before, CAST(0 AS BIGINT) AS added
    FROM story_readers
    UNION ALL
    SELECT employee_id, content_id, CAST(0 AS BIGINT) AS before, unique_human_clicks AS added
    FROM fact_rows
    WHERE unique_human_clicks <> 0 AND employee_id <> '' AND content_id <> ''
) AS pairs
GROUP BY employee_id, content_id
