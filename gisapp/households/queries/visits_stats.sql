-- Visit completion per colour over the days [:from_day, :to_day], grouped by the
-- area-code prefix of :code_length digits (0 = one group for the whole scope), for the
-- coloured households inside :prefix and the viewer's :patterns. The figures per leaf
-- area come from the visit rollup (visit_figures_by_leaf in sql/130_visit_rollup.sql,
-- which says what expected, done and overdue mean).
WITH grouped AS (
    SELECT left(l.code, :code_length) AS key, l.colour, sum(l.households)::int AS households,
           round(sum(l.expected)::numeric, 2)::float8 AS expected,
           round(sum(l.done)::numeric, 2)::float8 AS done,
           sum(l.visits)::int AS visits, sum(l.flagged)::int AS flagged,
           sum(l.overdue)::int AS overdue
    FROM visit_figures_by_leaf(CAST(:from_day AS date), CAST(:to_day AS date),
                               CAST(:to_ts AS timestamptz), CAST(:window_ts AS timestamptz),
                               CAST(:end_day AS date), :prefix, CAST(:patterns AS text[])) l
    GROUP BY 1, 2
)
SELECT g.key,
       -- Named by its path from the community down ('嘉和苑社区 第11网格'): "第3网格" alone
       -- is ambiguous. Districts and streets are named by themselves.
       coalesce(area_path(a.id, least(a.level, 3)::smallint), a.name) AS name, g.colour, g.households, g.expected, g.done, g.visits, g.flagged, g.overdue
FROM grouped g LEFT JOIN area a ON a.code = g.key
ORDER BY g.key, g.colour
