-- Fit the submitted children to each other and to the parent (boundary_snap, then
-- boundary_fill, in sql/100_boundary_edits.sql). Children submitted unchanged, to within
-- the tolerance (a browser may round coordinates), keep their stored boundary and go
-- first: they are what the edited ones snap to and they keep what two children both
-- claim, while uncovered slivers go to an edited neighbour first.
WITH flagged AS (
    SELECT p.key, p.submitted, CASE WHEN u.fixed THEN p.old_geom ELSE p.geom END AS geom, u.fixed
    FROM boundary_plan p
    CROSS JOIN LATERAL (
        SELECT p.action = 'version' AND (ST_Equals(p.geom, p.old_geom)
               OR ST_HausdorffDistance(p.geom, p.old_geom) < :tol_deg) AS fixed) u
    WHERE p.level = :level AND p.geom IS NOT NULL
), ordered AS (
    SELECT array_agg(key ORDER BY fixed DESC, submitted) AS keys,
           array_agg(geom ORDER BY fixed DESC, submitted) AS geoms,
           array_agg(fixed ORDER BY fixed DESC, submitted) AS fixed,
           array_agg(NOT fixed ORDER BY fixed DESC, submitted) AS edited
    FROM flagged
), fitted AS (
    SELECT o.keys, o.fixed,
           boundary_fill(boundary_snap(o.geoms, o.fixed, parent.geom, :tol_deg), o.edited,
                         parent.geom) AS geoms
    FROM ordered o JOIN area_current parent ON parent.id = :parent_id
)
UPDATE boundary_plan p SET geom = u.geom, fixed = u.fixed
FROM fitted f, unnest(f.keys, f.geoms, f.fixed) AS u (key, geom, fixed)
WHERE p.key = u.key
