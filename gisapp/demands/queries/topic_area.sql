SELECT id, area_code, state FROM topic WHERE id = :id
