-- Follow-up tasks of consultation topics due in [:from_ts, :to_ts) inside :scope, and
-- those done by their deadline.
SELECT {subject} AS subject,
       count(*) FILTER (WHERE t.done_at IS NOT NULL AND t.done_at <= t.deadline_at) AS done,
       count(*) AS due
FROM topic_task t
JOIN topic p ON p.id = t.topic_id
WHERE t.deadline_at >= CAST(:from_ts AS timestamptz) AND t.deadline_at < CAST(:to_ts AS timestamptz)
  AND p.area_code LIKE :scope || '%'
  AND {subject} IS NOT NULL
GROUP BY 1
