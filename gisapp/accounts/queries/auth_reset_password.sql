UPDATE app_user SET password_hash = :h, failed_logins = 0,
                               locked_until = NULL WHERE username = :u RETURNING id
