-- Visits due and done per colour for each area of :n digits inside :scope (communities
-- 12, grids 15), from the leaf figures of the visit rollup (visit_figures_by_leaf,
-- sql/130, which says what due and done mean; the same figures as /api/visits/stats).
SELECT left(l.code, :n) AS subject, l.colour, sum(l.households)::int AS households,
       sum(l.expected) AS expected, sum(l.done) AS done
FROM visit_figures_by_leaf(CAST(:from_day AS date), CAST(:to_day AS date),
                           CAST(:to_ts AS timestamptz), CAST(:window_ts AS timestamptz),
                           CAST(:end_day AS date), :scope, CAST(:patterns AS text[])) l
WHERE length(l.code) >= :n
GROUP BY 1, 2
