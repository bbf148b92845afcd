INSERT INTO app_user (username, display_name, password_hash, role, person_id)
VALUES (:u, :d, :h, :r, :p) RETURNING id
