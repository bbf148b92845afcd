-- Move a topic to the next step; a step's text (plan, announcement, minutes, decision,
-- outcome) is written only when given. Step 6 reports back.
UPDATE topic SET
    step = :step,
    title = coalesce(:title, title),
    body = coalesce(:body, body),
    plan = coalesce(:plan, plan),
    announcement = coalesce(:announcement, announcement),
    minutes = coalesce(:minutes, minutes),
    decision = coalesce(:decision, decision),
    outcome = coalesce(:outcome, outcome),
    state = CASE WHEN :step = 6 THEN 'reported' ELSE state END,
    reported_at = CASE WHEN :step = 6 THEN :at ELSE reported_at END,
    version = version + 1
WHERE id = :id AND step = :step - 1 AND state = 'open'
