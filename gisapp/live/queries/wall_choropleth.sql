-- Cases per 1,000 households for each area of :level inside the viewer's jurisdiction:
-- cases reported since :since (cancelled ones aside) grouped by the area-code prefix of
-- that level, set against the area's cached household count. {visible} is a fixed
-- fragment from gisapp.cases.visibility_sql.
WITH counts AS (
    SELECT left(c.area_code, :code_length) AS code, count(*)::int AS cases,
           (count(*) FILTER (WHERE c.state <> ALL(CAST(:final_states AS text[]))))::int AS open_cases,
           (count(*) FILTER (WHERE c.state = ANY(CAST(:clock_states AS text[]))
                               AND c.deadline_at IS NOT NULL
                               AND coalesce(c.suspended_at, now()) > c.deadline_at))::int AS overdue
    FROM case_file c
    WHERE {visible} AND c.area_code IS NOT NULL AND length(c.area_code) >= :code_length
      AND c.reported_at >= CAST(:since AS timestamptz) AND c.state <> 'cancelled'
    GROUP BY 1
)
SELECT a.code, a.name, a.households, coalesce(k.cases, 0) AS cases,
       coalesce(k.open_cases, 0) AS open_cases, coalesce(k.overdue, 0) AS overdue,
       CASE WHEN a.households > 0
            THEN round(1000.0 * coalesce(k.cases, 0) / a.households, 2)::float8 END AS per_1000
FROM area a LEFT JOIN counts k ON k.code = a.code
WHERE a.level = :level AND a.retired_at IS NULL AND a.code LIKE ANY(CAST(:patterns AS text[]))
ORDER BY a.code
