SELECT id, raised_by_user_id FROM demand WHERE client_id = :c
