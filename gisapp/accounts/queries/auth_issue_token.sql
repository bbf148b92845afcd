INSERT INTO api_token (user_id, token_hash, prefix, label, expires_at)
                         VALUES (:u, :h, :p, :l, now() + make_interval(days => :d))
