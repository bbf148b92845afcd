-- Case figures per subject ({subject}: a whitelisted expression, gisapp/assessment/
-- indicators.py) for the cases reported in [:from_ts, :to_ts) inside :scope, with the
-- definitions of the case statistics (gisapp/queries/case_stats.sql): registered = past
-- 'reported' and not cancelled; closed = closed or evaluated; on time = handled by the
-- deadline; handled = handled at some point; reworked = sent back at least once.
SELECT {subject} AS subject,
       count(*) FILTER (WHERE c.state NOT IN ('cancelled', 'reported')) AS registered,
       count(*) FILTER (WHERE c.state IN ('closed', 'evaluated')) AS closed,
       count(*) FILTER (WHERE c.state IN ('closed', 'evaluated')
                          AND c.handled_at <= c.deadline_at) AS closed_on_time,
       count(*) FILTER (WHERE c.handled_at IS NOT NULL
                          OR c.state IN ('closed', 'evaluated', 'handled', 'verified')) AS handled,
       count(*) FILTER (WHERE c.rework_count > 0) AS reworked
FROM case_file c
WHERE c.reported_at >= CAST(:from_ts AS timestamptz) AND c.reported_at < CAST(:to_ts AS timestamptz)
  AND c.merged_into IS NULL
  AND c.area_code LIKE :scope || '%'
  AND {subject} IS NOT NULL
GROUP BY 1
