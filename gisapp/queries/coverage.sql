-- Coverage: per area at one level, the households (matching the filters) and how many of
-- them are farther than :d metres (geodesic, on the spheroid) from every facility of :kind.
--
-- Checking 2.68 M households one by one against the facility index is too slow for the
-- whole city, so households are first taken per leaf area (a micro-grid is ~100 m across):
-- c = the centre of the box of the leaf's households, r = the farthest box corner from c
-- in metres (+0.1% and 0.5 m, so every household of the leaf lies within r of c). By the
-- triangle inequality of the geodesic distance:
--   no facility within d + r of c           -> every household is a gap       ('out')
--   some facility at dmin with dmin + r <= d -> every household is covered     ('in')
--   otherwise                               -> each household is checked exactly ('partial')
-- So the answer is exact; the leaves only decide how much exact work is needed.
WITH scope AS MATERIALIZED (
    SELECT a.id, a.code
    FROM area a
    WHERE a.retired_at IS NULL AND a.code LIKE :prefix || '%' AND length(a.code) >= :len
),
grp AS MATERIALIZED (
    SELECT h.area_id, count(*) AS n, ST_Extent(h.geom) AS box
    FROM household h JOIN scope s ON s.id = h.area_id
    WHERE (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
      AND (CAST(:tag AS text) IS NULL OR h.tags @> ARRAY[CAST(:tag AS text)])
    GROUP BY h.area_id
),
cell AS MATERIALIZED (
    SELECT g.area_id, g.n, g.c,
           (SELECT max(ST_Distance(g.c, ST_SetSRID(ST_MakePoint(x, y), 4326)::geography))
            FROM (VALUES (ST_XMin(g.box), ST_YMin(g.box)), (ST_XMax(g.box), ST_YMin(g.box)),
                         (ST_XMin(g.box), ST_YMax(g.box)), (ST_XMax(g.box), ST_YMax(g.box)))
                 AS corner (x, y)) * 1.001 + 0.5 AS r
    FROM (SELECT area_id, n, box,
                 ST_SetSRID(ST_MakePoint((ST_XMin(box) + ST_XMax(box)) / 2,
                                         (ST_YMin(box) + ST_YMax(box)) / 2), 4326)::geography AS c
          FROM grp) g
),
cls AS MATERIALIZED (
    SELECT cell.area_id, cell.n,
           CASE WHEN near.dmin IS NULL THEN 'out'
                WHEN near.dmin + cell.r <= :d THEN 'in'
                ELSE 'partial' END AS status
    FROM cell
    CROSS JOIN LATERAL (
        SELECT min(ST_Distance(f.geom::geography, cell.c)) AS dmin
        FROM facility f
        WHERE f.kind = :kind AND ST_DWithin(f.geom::geography, cell.c, :d + cell.r)
    ) near
),
partial_gaps AS (
    SELECT h.area_id, count(*) AS gaps
    FROM cls JOIN household h ON h.area_id = cls.area_id
    WHERE cls.status = 'partial'
      AND (CAST(:colour AS smallint) IS NULL OR h.colour = CAST(:colour AS smallint))
      AND (CAST(:tag AS text) IS NULL OR h.tags @> ARRAY[CAST(:tag AS text)])
      AND NOT EXISTS (SELECT 1 FROM facility f
                      WHERE f.kind = :kind
                        AND ST_DWithin(f.geom::geography, h.geom::geography, :d))
    GROUP BY h.area_id
),
rolled AS (
    SELECT left(s.code, :len) AS code, sum(cls.n) AS households,
           sum(CASE cls.status WHEN 'out' THEN cls.n WHEN 'in' THEN 0
                               ELSE coalesce(pg.gaps, 0) END) AS gaps
    FROM cls
    JOIN scope s ON s.id = cls.area_id
    LEFT JOIN partial_gaps pg ON pg.area_id = cls.area_id
    GROUP BY 1
)
SELECT t.code, t.name, coalesce(r.households, 0)::int AS households,
       coalesce(r.gaps, 0)::int AS gaps
FROM area t
LEFT JOIN rolled r ON r.code = t.code
WHERE t.retired_at IS NULL AND t.level = :level AND t.code LIKE :prefix || '%'
ORDER BY gaps DESC, t.code
