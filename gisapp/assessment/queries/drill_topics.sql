-- The follow-up tasks due in the period behind a subject's figure.
SELECT t.id, t.topic_id, p.title AS topic, t.title, p.area_code, t.deadline_at, t.done_at,
       t.done_at IS NOT NULL AND t.done_at <= t.deadline_at AS on_time
FROM topic_task t
JOIN topic p ON p.id = t.topic_id
WHERE t.deadline_at >= CAST(:from_ts AS timestamptz) AND t.deadline_at < CAST(:to_ts AS timestamptz)
  AND p.area_code LIKE :scope || '%'
  AND {subject}
ORDER BY t.deadline_at, t.id
LIMIT 5000
