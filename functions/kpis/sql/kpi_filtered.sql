-- Clicks not counted as a person's, per reason (bot, preview, scanner reasons, scanner_burst, too_late…).
SELECT outcome AS reason, SUM(events) AS clicks
FROM selected
WHERE type = 'click' AND NOT counted
GROUP BY outcome
HAVING SUM(events) <> 0
ORDER BY clicks DESC, reason
