SELECT id, code FROM area_current WHERE level = :level AND code LIKE :prefix || '%' ORDER BY code LIMIT 1
