SELECT id, code, level, parent_id, name, office_name, office_phone, households, version_id
FROM area_current ORDER BY code COLLATE "C"    -- codes are digits: byte order, a cheap sort
