UPDATE api_token SET revoked_at = now()
        WHERE revoked_at IS NULL AND (prefix = :v OR CAST(id AS text) = :v)
