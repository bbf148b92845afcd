-- The scheme of one level.
SELECT level, weights, quotas, appeal_days, updated_at, updated_by
FROM assessment_scheme
WHERE level = :l
