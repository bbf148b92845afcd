-- The decision on an appeal, with the score before and after.
UPDATE assessment_appeal
SET state = :st, decided_by = :u, decided_at = now(), decision_note = :n,
    corrected_value = :v, score_before = :b, score_after = :a
WHERE id = :id
