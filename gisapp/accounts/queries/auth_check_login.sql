SELECT id, password_hash, disabled, locked_until > now() AS locked
                               FROM app_user WHERE username = :u FOR UPDATE
