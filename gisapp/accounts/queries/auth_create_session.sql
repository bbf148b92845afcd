INSERT INTO web_session (id_hash, user_id, csrf_token, expires_at, ip, user_agent)
                         VALUES (:h, :u, :c, now() + make_interval(hours => :hours), :ip, :ua)
