-- Re-derive the children of every area of one level whose boundary changes: the old
-- children of all those areas, cut by each new boundary. A piece that stays under its own
-- parent keeps its code (a new version if it changed); a piece under another parent
-- becomes a new area there, unless it is exactly a retired child of that parent as it
-- last stood (a revert), which comes back; an old child with no piece left under its
-- parent is retired.
-- Pieces narrower than the tolerance are dropped and, like territory that had no children
-- before, handed to the neighbouring piece with the longest shared edge.
WITH changed AS (
    SELECT key, area_id, geom FROM boundary_plan p
    WHERE level = :level AND action IN ('version', 'create', 'retire', 'resurrect')
      -- a reverted area's children are planned already (boundary_derive_revert)
      AND NOT EXISTS (SELECT 1 FROM boundary_plan k
                      WHERE k.level = :level + 1 AND k.parent_id = p.area_id)
), pool AS (
    SELECT c.id, c.code, c.parent_id, c.name, c.version, c.geom
    FROM area_current c JOIN changed x ON x.area_id = c.parent_id
), pieces AS (
    SELECT x.key AS xkey, k.id AS kid, k.parent_id = x.area_id AS stays,
           boundary_wide_parts(ST_Intersection(k.geom, x.geom), :tol_m) AS geom
    FROM changed x JOIN pool k ON ST_Intersects(k.geom, x.geom)
    WHERE x.geom IS NOT NULL
), grouped AS (
    -- A piece staying under its own parent goes first, so it wins any sliver dispute.
    SELECT p.xkey, array_agg(p.kid ORDER BY p.stays DESC, p.kid) AS kids,
           array_agg(p.stays ORDER BY p.stays DESC, p.kid) AS stays,
           array_agg(p.geom ORDER BY p.stays DESC, p.kid) AS geoms
    FROM pieces p WHERE p.geom IS NOT NULL
    GROUP BY p.xkey
), fitted AS (
    SELECT g.xkey, u.kid, u.stays, u.geom
    FROM grouped g
    JOIN changed x ON x.key = g.xkey
    CROSS JOIN LATERAL unnest(g.kids, g.stays, boundary_fill(g.geoms, NULL::boolean[], x.geom))
        AS u (kid, stays, geom)
    WHERE u.geom IS NOT NULL
)
INSERT INTO boundary_plan (level, parent_id, area_id, code, name, old_name, old_version,
                           old_geom, geom, source_id, action)
SELECT :level + 1, x.area_id, coalesce(r.id, CASE WHEN f.stays THEN k.id END),
       coalesce(r.code, CASE WHEN f.stays THEN k.code END), coalesce(r.name, k.name),
       coalesce(r.name, k.name), coalesce(r.version, CASE WHEN f.stays THEN k.version END),
       coalesce(r.geom, CASE WHEN f.stays THEN k.geom END), f.geom,
       CASE WHEN NOT f.stays THEN k.id END,
       CASE WHEN r.id IS NOT NULL THEN 'resurrect' WHEN NOT f.stays THEN 'create'
            WHEN ST_Equals(f.geom, k.geom) THEN 'keep' ELSE 'version' END
FROM fitted f
JOIN changed x ON x.key = f.xkey
JOIN pool k ON k.id = f.kid
LEFT JOIN LATERAL (
    SELECT a.id, a.code, a.name, last.version, last.geom
    FROM area a
    CROSS JOIN LATERAL (SELECT v.version, v.geom FROM area_version v WHERE v.area_id = a.id
                        ORDER BY v.version DESC LIMIT 1) last
    WHERE NOT f.stays AND a.parent_id = x.area_id AND a.retired_at IS NOT NULL
      AND ST_Equals(last.geom, f.geom)
    LIMIT 1) r ON true
UNION ALL
SELECT :level + 1, k.parent_id, k.id, k.code, k.name, k.name, k.version, k.geom, NULL, NULL,
       'retire'
FROM pool k
WHERE NOT EXISTS (SELECT 1 FROM fitted f WHERE f.kid = k.id AND f.stays)
RETURNING action
