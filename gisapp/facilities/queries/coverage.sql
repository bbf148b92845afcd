-- Coverage: per area at one level, the households (matching the filters) and how many of
-- them are farther than :d metres (geodesic, on the spheroid) from every facility of :kind.
--
-- Checking 2.68 M households one by one against the facility index is too slow for the
-- whole city, so households are first taken per leaf area (a micro-grid is ~100 m across):
-- c = the centre of the box of the leaf's households, r = the farthest box corner from c
-- in metres (plus 0.5 m, so every household of the leaf lies within r of c: across
-- a box this small the farthest point from its centre is a corner). By the
-- triangle inequality of the geodesic distance:
--   no facility within d + r of c           -> every household is a gap       ('out')
--   some facility at dmin with dmin + r <= d -> every household is covered     ('in')
--   otherwise                               -> each household is checked exactly ('partial')
-- So the answer is exact; the leaves only decide how much exact work is needed.
-- The leaf tests measure on the sphere (several times cheaper) and stretch every sphere
-- distance by :sphere (1.01): spheroid and sphere distances differ by under 0.6% at
-- any latitude, so 'in' and 'out' stay certain; only the final test uses the spheroid.
WITH scope AS NOT MATERIALIZED (     -- inlined, so the household scan can run in parallel
    SELECT a.id, a.code
    FROM area a
    WHERE a.retired_at IS NULL AND a.code LIKE :prefix || '%' AND length(a.code) >= :len
),
grp AS (
    SELECT h.area_id, count(*) AS n, ST_Extent(h.geom) AS box
    FROM household h JOIN scope s ON s.id = h.area_id
    WHERE (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
      AND (CAST(:tag AS text) IS NULL OR h.tags @> ARRAY[CAST(:tag AS text)])
    GROUP BY h.area_id
),
cell AS MATERIALIZED (     -- once per leaf: c and r are used several times below
    SELECT g.area_id, g.n, g.c,
           (SELECT max(ST_Distance(g.c, ST_SetSRID(ST_MakePoint(x, y), 4326)::geography, false))
            -- The box is symmetric about c in longitude: one west corner per latitude will do.
            FROM (VALUES (ST_XMin(g.box), ST_YMin(g.box)), (ST_XMin(g.box), ST_YMax(g.box)))
                 AS corner (x, y)) * :sphere + 0.5 AS r
    FROM (SELECT area_id, n, box,
                 ST_SetSRID(ST_MakePoint((ST_XMin(box) + ST_XMax(box)) / 2,
                                         (ST_YMin(box) + ST_YMax(box)) / 2), 4326)::geography AS c
          FROM grp) g
),
-- The facilities within d + r of c are the only ones that can lie within d of a household
-- of the leaf (triangle inequality again), so a 'partial' leaf checks those alone.
near AS (
    SELECT cell.area_id, cell.n, cell.r, f.dmin, f.candidates
    FROM cell
    CROSS JOIN LATERAL (
        SELECT min(ST_Distance(g, cell.c, false)) * :sphere AS dmin, array_agg(g) AS candidates
        FROM (SELECT f.geom::geography AS g FROM facility f
              WHERE f.kind = :kind
                AND ST_DWithin(f.geom::geography, cell.c, (:d + cell.r) * :sphere, false)) f
    ) f
),
leaf AS (
    SELECT near.area_id, near.n,
           CASE WHEN near.dmin IS NULL THEN near.n                 -- 'out'
                WHEN near.dmin + near.r <= :d THEN 0               -- 'in'
                ELSE (SELECT count(*) FROM household h             -- 'partial'
                      WHERE h.area_id = near.area_id
                        AND (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
                        AND (CAST(:tag AS text) IS NULL OR h.tags @> ARRAY[CAST(:tag AS text)])
                        AND NOT EXISTS (SELECT 1 FROM unnest(near.candidates) AS g
                                        WHERE ST_DWithin(g, h.geom::geography, :d)))
           END AS gaps
    FROM near
),
rolled AS (
    SELECT left(s.code, :len) AS code, sum(leaf.n) AS households, sum(leaf.gaps) AS gaps
    FROM leaf JOIN scope s ON s.id = leaf.area_id
    GROUP BY 1
)
SELECT t.code, t.name, area_path(t.id) AS path, coalesce(r.households, 0)::int AS households,
       coalesce(r.gaps, 0)::int AS gaps
FROM area t
LEFT JOIN rolled r ON r.code = t.code
WHERE t.retired_at IS NULL AND t.level = :level AND t.code LIKE :prefix || '%'
ORDER BY gaps DESC, t.code
