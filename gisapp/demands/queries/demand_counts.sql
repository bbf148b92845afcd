-- Demands counted per child area of :area (or per district for the whole city) and
-- state, raised in [:since, :until), within the viewer's visibility. Counts only.
WITH parent AS (
    SELECT coalesce((SELECT level FROM area WHERE code = :area), 0) AS level
), kids AS (
    SELECT a.code, a.name FROM area a, parent
    WHERE a.level = parent.level + 1 AND a.retired_at IS NULL
      AND (CAST(:area AS text) IS NULL OR a.code LIKE :area || '%')
), d AS (
    SELECT d.area_code, d.state, d.deadline_at, d.closed_at FROM demand d
    WHERE (:vis_all OR d.area_code LIKE ANY(CAST(:vis_patterns AS text[]))
           OR d.raised_by_user_id = CAST(:vis_user AS bigint))
      AND (CAST(:area AS text) IS NULL OR d.area_code LIKE :area || '%')
      AND (CAST(:category AS text) IS NULL OR d.category = :category)
      AND (CAST(:since AS timestamptz) IS NULL OR d.created_at >= CAST(:since AS timestamptz))
      AND (CAST(:until AS timestamptz) IS NULL OR d.created_at < CAST(:until AS timestamptz))
)
SELECT k.code, k.name, count(d.*) AS total,
       count(*) FILTER (WHERE d.state = 'open') AS open,
       count(*) FILTER (WHERE d.state = 'open' AND d.deadline_at < now()) AS overdue,
       count(*) FILTER (WHERE d.state = 'case') AS "case",
       count(*) FILTER (WHERE d.state = 'topic') AS topic,
       count(*) FILTER (WHERE d.state = 'answered') AS answered,
       count(*) FILTER (WHERE d.state = 'declined') AS declined,
       count(*) FILTER (WHERE d.state <> 'open' AND d.closed_at <= d.deadline_at) AS on_time
FROM kids k LEFT JOIN d ON d.area_code LIKE k.code || '%'
GROUP BY k.code, k.name
ORDER BY k.code
