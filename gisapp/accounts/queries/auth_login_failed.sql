UPDATE app_user SET failed_logins = failed_logins + 1,
            locked_until = CASE WHEN failed_logins + 1 >= :n
                                THEN now() + make_interval(mins => :m) END
            WHERE id = :id
