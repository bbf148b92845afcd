-- A new run (draft) with the scheme as it stands.
INSERT INTO assessment_run (level, scope, period_from, period_to, scheme, created_by)
VALUES (:l, :s, :f, :t, CAST(:scheme AS jsonb), :u) RETURNING id
