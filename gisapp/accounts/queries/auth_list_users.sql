SELECT u.id, u.username, u.display_name, u.role, u.person_id,
                                       u.disabled, u.locked_until
                                FROM app_user u ORDER BY u.username
