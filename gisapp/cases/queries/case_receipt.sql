-- What a reporter's receipt names: the case's area by its path (area_path(), from the
-- community down) and the office to call, the nearest one up the tree that has a phone.
WITH RECURSIVE up AS (
    SELECT a.id, a.parent_id, a.level, a.office_name, a.office_phone
    FROM area a WHERE a.code = :code
    UNION ALL
    SELECT p.id, p.parent_id, p.level, p.office_name, p.office_phone
    FROM area p JOIN up ON p.id = up.parent_id
)
SELECT area_path(CAST(:code AS text)) AS area_path, o.office_name, o.office_phone
FROM (SELECT 1) one
LEFT JOIN LATERAL (SELECT up.office_name, up.office_phone FROM up
                   WHERE up.office_phone IS NOT NULL ORDER BY up.level DESC LIMIT 1) o ON true
