-- A demand reaches its end state (sql/210_demands.sql checks the columns each end needs).
UPDATE demand
SET state = :state, closed_at = now(), version = version + 1,
    case_id = coalesce(:case_id, case_id), topic_id = coalesce(:topic_id, topic_id),
    answer = coalesce(:answer, answer), decline_reason = coalesce(:reason, decline_reason)
WHERE id = :id AND state = 'open'
