-- Visits due and done per colour for each worker: those of the households in the areas of
-- their duties of a worker's role (:roles) in force during the period, inside :scope.
-- The leaf figures are summed per community and grid once, and each duty reads its own
-- (worker roles hold duties on communities and grids). Overlapping duties of one
-- person count each household once.
WITH leaf AS MATERIALIZED (
    SELECT l.code COLLATE "C" AS code, l.colour, l.households, l.expected, l.done
    FROM visit_figures_by_leaf(CAST(:from_day AS date), CAST(:to_day AS date),
                               CAST(:to_ts AS timestamptz), CAST(:window_ts AS timestamptz),
                               CAST(:end_day AS date), :scope, CAST(:patterns AS text[])) l
), by_area AS MATERIALIZED (
    SELECT left(code, n) AS code, colour, sum(households) AS households,
           sum(expected) AS expected, sum(done) AS done
    FROM leaf CROSS JOIN (VALUES (12), (15)) AS k (n)     -- the worker roles' duty areas
    WHERE length(code) >= n
    GROUP BY 1, 2
), duties AS (
    SELECT DISTINCT d.person_id, a.code COLLATE "C" AS code
    FROM duty d JOIN area a ON a.id = d.area_id
    WHERE d.role = ANY(CAST(:roles AS text[]))
      AND d.starts_on <= CAST(:to_day AS date)
      AND (d.ends_on IS NULL OR d.ends_on >= CAST(:from_day AS date))
      AND a.code LIKE :scope || '%'
), outermost AS (               -- a duty inside another of the same person's adds nothing
    SELECT du.person_id, du.code FROM duties du
    WHERE NOT EXISTS (SELECT 1 FROM duties o
                      WHERE o.person_id = du.person_id AND o.code <> du.code
                        AND du.code LIKE o.code || '%')
)
SELECT du.person_id::text AS subject, b.colour, sum(b.households)::int AS households,
       sum(b.expected) AS expected, sum(b.done) AS done
FROM outermost du
JOIN by_area b ON b.code = du.code
GROUP BY 1, 2
