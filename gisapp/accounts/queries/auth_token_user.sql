SELECT id, user_id, expires_at,
                                      last_used_at < now() - interval '1 minute'
                                      OR last_used_at IS NULL AS stale
        FROM api_token WHERE token_hash = :h AND revoked_at IS NULL AND expires_at > now()
