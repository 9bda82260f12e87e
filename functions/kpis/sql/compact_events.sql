-- A day's archived events as one file, in the order they were decided.
-- Reads `event_rows` (the day's newest part and the slice files after it).
SELECT *
FROM event_rows
ORDER BY slice, revision, "at", id
