-- The programme's totals the public Results summary shows (one row), equal to the report's (kpi_headline.sql
-- and the breakdowns): counted shares, human and unique human clicks, and the employees who shared. One pass
-- over the selected facts: each employee's rows summed first (a revision's -1 cancels its +1, so an employee
-- whose only share was a scanner's is not a sharer), then the employees' sums. No WHERE on the type: the
-- sums pick their rows, and DuckDB scans faster without it (the few seen and digest rows add zeros).
SELECT
    COALESCE(SUM(shares), 0) AS shares,
    COALESCE(SUM(human_clicks), 0) AS human_clicks,
    COALESCE(SUM(unique_human_clicks), 0) AS unique_human_clicks,
    COUNT(CASE WHEN shares > 0 THEN 1 END) AS sharers
FROM (
    SELECT
        employee_id,
        SUM(CASE WHEN type = 'share' AND counted THEN events ELSE 0 END) AS shares,
        SUM(CASE WHEN type = 'click' AND counted THEN events ELSE 0 END) AS human_clicks,
        SUM(CASE WHEN type = 'click' THEN unique_human_clicks ELSE 0 END) AS unique_human_clicks
    FROM selected
    GROUP BY employee_id
) AS per_employee
