SELECT id, username, role, person_id FROM app_user WHERE id = :id AND NOT disabled
