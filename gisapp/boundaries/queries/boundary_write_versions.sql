-- A new version for every area whose boundary changes, is created or comes back.
INSERT INTO area_version (area_id, version, geom, valid_from, author, reason)
SELECT p.area_id, coalesce(last.version, 0) + 1, ST_Multi(p.geom), :t, :author, :reason
FROM boundary_plan p
CROSS JOIN LATERAL (SELECT max(v.version) AS version FROM area_version v
                    WHERE v.area_id = p.area_id) last
WHERE p.action IN ('version', 'create', 'resurrect')
