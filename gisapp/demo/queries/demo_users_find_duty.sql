SELECT d.person_id, a.code FROM duty d JOIN area a ON a.id = d.area_id
WHERE d.role = :role AND a.level = :level AND a.code LIKE :prefix || '%'
ORDER BY a.code, d.id LIMIT 1
