-- What the public learns through a receipt code: never a name, a contact or an account.
SELECT d.receipt, d.category, c.name_zh AS category_zh, d.state, d.created_at,
       d.deadline_at, d.closed_at, coalesce(d.closed_at, now()) > d.deadline_at AS overdue,
       d.area_code,
       CASE WHEN d.state = 'answered' THEN d.answer END AS answer,
       CASE WHEN d.state = 'declined' THEN d.decline_reason END AS decline_reason,
       d.case_id, cf.state AS case_state, d.topic_id
FROM demand d
JOIN demand_category c ON c.key = d.category
LEFT JOIN case_file cf ON cf.id = d.case_id
WHERE d.receipt = :receipt
