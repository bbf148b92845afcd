-- One hit in this window; the sliding-window estimate (gisapp.accounts.auth.hit_rate_limit).
WITH hit AS (
    INSERT INTO rate_limit (bucket, window_start, hits) VALUES (:b, :w, 1)
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit.hits + 1
    RETURNING hits
)
SELECT (SELECT hits FROM hit)
     + coalesce((SELECT hits FROM rate_limit WHERE bucket = :b AND window_start = :prev), 0)
       * CAST(:weight AS double precision)
