-- The demands due in the period behind a subject's figure (no reporter's data).
SELECT d.id, d.category, c.name_zh AS category_zh, d.state, d.area_code, d.created_at,
       d.deadline_at, d.closed_at, d.closed_at IS NOT NULL AND d.closed_at <= d.deadline_at AS on_time
FROM demand d
JOIN demand_category c ON c.key = d.category
WHERE d.deadline_at >= CAST(:from_ts AS timestamptz) AND d.deadline_at < CAST(:to_ts AS timestamptz)
  AND d.area_code LIKE :scope || '%'
  AND {subject}
ORDER BY d.deadline_at, d.id
LIMIT 5000
