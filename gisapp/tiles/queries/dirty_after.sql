-- The changes recorded after the last one a process applied, and those of the ids it
-- saw skipped (handed out before commit, they may commit later), in id order.
SELECT id, grp, minx, miny, maxx, maxy FROM tile_dirty
WHERE id > :after OR id = ANY(CAST(:gaps AS bigint[]))
ORDER BY id LIMIT :limit
