-- Runs of a level (or all), newest period first, with their subject counts.
SELECT r.*, (SELECT count(*) FROM assessment_result x
             WHERE x.run_id = r.id) AS subjects
FROM assessment_run r
WHERE (CAST(:l AS text) IS NULL OR r.level = :l)
ORDER BY r.period_from DESC, r.id DESC LIMIT 200
