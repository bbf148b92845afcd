-- An appeal against one item of a published run.
INSERT INTO assessment_appeal (run_id, subject, indicator, reason, filed_by)
VALUES (:r, :s, :i, :reason, :u) RETURNING id
