-- How far the fitted children are from tessellating the parent, as shares of its area:
-- both are 0 up to floating point when the fit worked. Also any child that vanished.
SELECT ST_Area(ST_SymDifference(parent.geom, ST_Union(p.geom))) / ST_Area(parent.geom) AS mismatch,
       (sum(ST_Area(p.geom)) - ST_Area(ST_Union(p.geom))) / ST_Area(parent.geom) AS overlap,
       (SELECT array_agg(q.code ORDER BY q.submitted) FROM boundary_plan q
        WHERE q.level = :level AND q.geom IS NULL AND q.action <> 'retire') AS vanished
FROM boundary_plan p JOIN area_current parent ON parent.id = p.parent_id
WHERE p.level = :level AND p.geom IS NOT NULL
GROUP BY parent.geom
