-- Follow-up tasks with their owner's name and, once a case, the case's state.
SELECT k.id, k.title, k.owner_person_id, coalesce(p.name, k.owner_name) AS owner,
       k.deadline_at, k.done_at, k.case_id, c.state AS case_state,
       (k.done_at IS NULL AND k.deadline_at < now()) AS overdue
FROM topic_task k
LEFT JOIN person p ON p.id = k.owner_person_id
LEFT JOIN case_file c ON c.id = k.case_id
WHERE k.topic_id = :topic_id
ORDER BY k.deadline_at, k.id
