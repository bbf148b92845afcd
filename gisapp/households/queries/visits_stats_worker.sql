-- Visit completion per owner (worker) and colour: as visits_stats.sql, but each household
-- counts toward every person whose duty owns it (a duty of a role the colour names, on
-- the household's area or an ancestor, in force during the period), once per person.
--
-- Rather than joining each household (or leaf area) to its owners, the figures are summed
-- up the tree, per area-code prefix and colour, and each duty reads those of its own
-- area. A person with several duties for one colour reads only the widest of them: areas
-- nest or are disjoint, so those widest ones are disjoint and hold every household the
-- others do, each once.
WITH leaf AS MATERIALIZED (
    -- (Codes compared bytewise: the joins and groups on them sort 100,000s of codes.)
    SELECT code COLLATE "C" AS code, colour, households, expected, done, visits, flagged, overdue
    FROM visit_figures_by_leaf(CAST(:from_day AS date), CAST(:to_day AS date),
                                        CAST(:to_ts AS timestamptz), CAST(:window_ts AS timestamptz),
                                        CAST(:end_day AS date), :prefix, CAST(:patterns AS text[]))
),
-- Below each area (codes have 6, 9, 12, 15 or 18 digits, a child's extending its
-- parent's): the figures of the households in its descendants, level by level upward.
below15 AS MATERIALIZED (
    SELECT left(code, 15) AS code, colour, sum(households)::int AS households, sum(expected) AS expected,
           sum(done) AS done, sum(visits)::int AS visits, sum(flagged)::int AS flagged,
           sum(overdue)::int AS overdue
    FROM leaf WHERE length(code) > 15 GROUP BY 1, 2
),
below12 AS MATERIALIZED (
    SELECT left(code, 12) AS code, colour, sum(households)::int AS households, sum(expected) AS expected,
           sum(done) AS done, sum(visits)::int AS visits, sum(flagged)::int AS flagged,
           sum(overdue)::int AS overdue
    FROM (SELECT * FROM below15 UNION ALL
          SELECT code, colour, households, expected, done, visits, flagged, overdue
          FROM leaf WHERE length(code) = 15) s
    GROUP BY 1, 2
),
below9 AS MATERIALIZED (
    SELECT left(code, 9) AS code, colour, sum(households)::int AS households, sum(expected) AS expected,
           sum(done) AS done, sum(visits)::int AS visits, sum(flagged)::int AS flagged,
           sum(overdue)::int AS overdue
    FROM (SELECT * FROM below12 UNION ALL
          SELECT code, colour, households, expected, done, visits, flagged, overdue
          FROM leaf WHERE length(code) = 12) s
    GROUP BY 1, 2
),
below6 AS MATERIALIZED (
    SELECT left(code, 6) AS code, colour, sum(households)::int AS households, sum(expected) AS expected,
           sum(done) AS done, sum(visits)::int AS visits, sum(flagged)::int AS flagged,
           sum(overdue)::int AS overdue
    FROM (SELECT * FROM below9 UNION ALL
          SELECT code, colour, households, expected, done, visits, flagged, overdue
          FROM leaf WHERE length(code) = 9) s
    GROUP BY 1, 2
),
-- An area's figures are its own households' (in leaf) and those below it: two rows
-- for one area and colour at most, which the final sum adds up.
by_area AS (
    SELECT code, colour, households, expected, done, visits, flagged, overdue FROM leaf
    UNION ALL SELECT * FROM below15 UNION ALL SELECT * FROM below12
    UNION ALL SELECT * FROM below9 UNION ALL SELECT * FROM below6
),
duties AS MATERIALIZED (
    -- Each duty that owns visits, with the colour its role owns.
    SELECT DISTINCT d.person_id, a.code COLLATE "C" AS code, f.colour
    FROM duty d
    JOIN area a ON a.id = d.area_id
    JOIN (SELECT colour, unnest(owner_roles) AS role FROM five_colour) f ON f.role = d.role
    WHERE d.starts_on <= CAST(:end_day AS date)
      AND (d.ends_on IS NULL OR d.ends_on >= CAST(:from_day AS date))
),
widest AS (
    SELECT d.person_id, d.code, d.colour FROM duties d
    WHERE NOT EXISTS (SELECT 1 FROM duties o
                      WHERE o.person_id = d.person_id AND o.colour = d.colour
                        AND length(o.code) < length(d.code) AND left(d.code, length(o.code)) = o.code)
),
per_person AS (
    SELECT w.person_id, w.colour, sum(b.households) AS households, sum(b.expected) AS expected,
           sum(b.done) AS done, sum(b.visits) AS visits, sum(b.flagged) AS flagged,
           sum(b.overdue) AS overdue
    FROM widest w
    JOIN by_area b ON b.code = w.code AND b.colour = w.colour
    GROUP BY w.person_id, w.colour
)
SELECT o.person_id AS key, p.name, o.colour, o.households::int AS households,
       round(o.expected::numeric, 2)::float8 AS expected, round(o.done::numeric, 2)::float8 AS done,
       o.visits::int AS visits, o.flagged::int AS flagged, o.overdue::int AS overdue
FROM per_person o
JOIN person p ON p.id = o.person_id
ORDER BY o.person_id, o.colour
