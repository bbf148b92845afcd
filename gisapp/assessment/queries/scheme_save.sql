-- Replace the scheme of one level.
UPDATE assessment_scheme
SET weights = CAST(:w AS jsonb), quotas = CAST(:q AS jsonb),
    appeal_days = :d, updated_at = now(), updated_by = :u
WHERE level = :l
