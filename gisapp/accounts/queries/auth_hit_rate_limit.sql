INSERT INTO rate_limit (bucket, window_start, hits) VALUES (:b, :w, 1)
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit.hits + 1
RETURNING hits
