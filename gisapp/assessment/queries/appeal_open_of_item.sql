-- The open appeal of an item, if any (one at a time).
SELECT id
FROM assessment_appeal
WHERE run_id = :r
  AND subject = :s
  AND indicator = :i
  AND state = 'open'
