-- Evaluation figures (GB/T 30428 style) for the cases reported in a period, grouped by
-- {group_expr} (chosen from a fixed whitelist in case_stats.py, never from user text).
WITH scoped AS (
    SELECT c.*, {group_expr} AS grp
    FROM case_file c
    WHERE {visible}
      AND c.area_code LIKE :area || '%'
      AND c.reported_at >= CAST(:since AS timestamptz) AND c.reported_at < CAST(:until AS timestamptz)
      AND c.merged_into IS NULL
)
SELECT grp,
       count(*) FILTER (WHERE state <> 'cancelled' AND state <> 'reported') AS registered,
       count(*) FILTER (WHERE state IN ('closed', 'evaluated')) AS closed,
       count(*) FILTER (WHERE state IN ('closed', 'evaluated') AND handled_at <= deadline_at) AS closed_on_time,
       count(*) FILTER (WHERE handled_at IS NOT NULL OR state IN ('closed', 'evaluated', 'handled', 'verified')) AS handled,
       count(*) FILTER (WHERE rework_count > 0) AS reworked,
       count(*) FILTER (WHERE state IN ('dispatched', 'in_progress', 'escalated')
                        AND deadline_at < now() AND suspended_at IS NULL) AS overdue_unhandled,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - reported_at) / 3600)
           FILTER (WHERE closed_at IS NOT NULL) AS median_hours_to_close,
       count(*) AS reported
FROM scoped
GROUP BY grp
ORDER BY grp NULLS LAST
