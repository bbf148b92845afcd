-- One item of a run, with the assessed subject's area.
SELECT i.*, r.area_code FROM assessment_item i
JOIN assessment_result r USING (run_id, subject)
WHERE i.run_id = :r AND i.subject = :s AND i.indicator = :i
