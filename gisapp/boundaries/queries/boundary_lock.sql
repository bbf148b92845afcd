-- Lock an area and every live area below it, in code order (so two saves never deadlock),
-- and return the area itself. Any two saves whose subtrees overlap share a locked row and
-- so run one after the other; saves in separate subtrees run side by side.
WITH locked AS (
    SELECT a.id, a.code, a.level, a.name
    FROM area a
    WHERE a.code LIKE :code || '%' AND a.retired_at IS NULL
    ORDER BY a.code
    FOR UPDATE
)
SELECT l.id, l.code, l.level, l.name, v.version, v.geom
FROM locked l JOIN area_version v ON v.area_id = l.id AND v.valid_to IS NULL
WHERE l.code = :code
