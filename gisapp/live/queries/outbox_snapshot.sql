-- The server's transaction horizon (oldest still running) and its next transaction id.
SELECT CAST(CAST(pg_snapshot_xmin(s) AS text) AS bigint) AS xmin,
       CAST(CAST(pg_snapshot_xmax(s) AS text) AS bigint) AS xmax
FROM pg_current_snapshot() AS s
