-- A revert (ops.revert_area): an area of :level whose boundary goes back to what it was at
-- :t gets back the children it had then, as they were: kept, versioned back, or brought
-- back from retirement, and its other children retired. Cutting its current children
-- instead (boundary_derive) would leave the pieces of the undone edit as new areas.
-- boundary_derive then leaves these areas alone (they have their children planned).
WITH reverted AS (
    SELECT p.area_id FROM boundary_plan p
    WHERE p.level = :level AND p.action IN ('version', 'resurrect')
      AND EXISTS (SELECT 1 FROM area_version v
                  WHERE v.area_id = p.area_id AND v.valid_from <= :t
                    AND (v.valid_to IS NULL OR v.valid_to > :t) AND ST_Equals(v.geom, p.geom))
), was AS (
    SELECT a.id, a.parent_id, a.code, a.name, a.retired_at, v.geom
    FROM reverted r
    JOIN area a ON a.parent_id = r.area_id
    JOIN area_version v ON v.area_id = a.id
    WHERE v.valid_from <= :t AND (v.valid_to IS NULL OR v.valid_to > :t)
)
INSERT INTO boundary_plan (level, parent_id, area_id, code, name, old_name, old_version,
                           old_geom, geom, source_id, action)
SELECT :level + 1, w.parent_id, w.id, w.code, w.name, w.name, last.version, last.geom, w.geom,
       NULL::bigint, CASE WHEN w.retired_at IS NOT NULL THEN 'resurrect'
                  WHEN ST_Equals(last.geom, w.geom) THEN 'keep' ELSE 'version' END
FROM was w
CROSS JOIN LATERAL (SELECT v.version, v.geom FROM area_version v WHERE v.area_id = w.id
                    ORDER BY v.version DESC LIMIT 1) last
UNION ALL
SELECT :level + 1, c.parent_id, c.id, c.code, c.name, c.name, c.version, c.geom, NULL::geometry,
       NULL::bigint, 'retire'
FROM reverted r
JOIN area_current c ON c.parent_id = r.area_id
WHERE NOT EXISTS (SELECT 1 FROM was w WHERE w.id = c.id)
RETURNING action
