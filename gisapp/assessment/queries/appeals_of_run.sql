-- A run's appeals with the assessed subject's name and area.
SELECT a.*, r.label, r.area_code
FROM assessment_appeal a
JOIN assessment_result r USING (run_id, subject)
WHERE a.run_id = :r
ORDER BY a.id
