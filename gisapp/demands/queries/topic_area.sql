SELECT id, area_code FROM topic WHERE id = :id
