SELECT s.user_id, s.csrf_token, s.expires_at FROM web_session s
                               WHERE s.id_hash = :h AND s.expires_at > now()
