-- Demands due in [:from_ts, :to_ts) inside :scope, and those closed (a case, a topic, an
-- answer or a reasoned refusal) by their deadline.
SELECT {subject} AS subject,
       count(*) FILTER (WHERE d.closed_at IS NOT NULL AND d.closed_at <= d.deadline_at) AS on_time,
       count(*) AS due
FROM demand d
WHERE d.deadline_at >= CAST(:from_ts AS timestamptz) AND d.deadline_at < CAST(:to_ts AS timestamptz)
  AND d.area_code LIKE :scope || '%'
  AND {subject} IS NOT NULL
GROUP BY 1
