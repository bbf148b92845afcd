-- The cases behind a subject's case figures (as case_figures.sql counts them), that the
-- viewer may see ({visible}: gisapp/cases.py visibility_sql; {subject}: a whitelisted test).
SELECT c.id, cc.name_zh AS category_zh, c.state, c.area_code, c.reported_at, c.deadline_at,
       c.handled_at, c.closed_at, c.rework_count,
       c.state NOT IN ('cancelled', 'reported') AS registered,
       c.state IN ('closed', 'evaluated') AS closed,
       c.state IN ('closed', 'evaluated') AND coalesce(c.handled_at <= c.deadline_at, false) AS on_time,
       c.handled_at IS NOT NULL OR c.state IN ('closed', 'evaluated', 'handled', 'verified') AS handled,
       c.rework_count > 0 AS reworked
FROM case_file c
JOIN case_category cc ON cc.key = c.category
WHERE c.reported_at >= CAST(:from_ts AS timestamptz) AND c.reported_at < CAST(:to_ts AS timestamptz)
  AND c.merged_into IS NULL
  AND c.area_code LIKE :scope || '%'
  AND {subject}
  AND {visible}
ORDER BY c.reported_at, c.id
LIMIT 5000
