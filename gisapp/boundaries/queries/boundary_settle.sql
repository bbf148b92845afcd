-- Areas whose new boundary equals the current one keep their version: nothing to write.
UPDATE boundary_plan SET action = 'keep', geom = old_geom
WHERE level = :level AND action = 'version' AND ST_Equals(geom, old_geom)
