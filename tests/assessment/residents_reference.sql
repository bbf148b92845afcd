-- The straightforward reading of demands resolved on time and consultation follow-through,
-- per area of :n digits inside :scope: due in the period, closed or done by the deadline.
SELECT a.code,
       (SELECT count(*) FROM demand d WHERE d.area_code LIKE a.code || '%'
          AND d.deadline_at >= CAST(:from_ts AS timestamptz) AND d.deadline_at < CAST(:to_ts AS timestamptz)
          AND d.closed_at <= d.deadline_at) AS demands_on_time,
       (SELECT count(*) FROM demand d WHERE d.area_code LIKE a.code || '%'
          AND d.deadline_at >= CAST(:from_ts AS timestamptz) AND d.deadline_at < CAST(:to_ts AS timestamptz)) AS demands_due,
       (SELECT count(*) FROM topic_task t JOIN topic p ON p.id = t.topic_id
        WHERE p.area_code LIKE a.code || '%' AND t.done_at <= t.deadline_at
          AND t.deadline_at >= CAST(:from_ts AS timestamptz) AND t.deadline_at < CAST(:to_ts AS timestamptz)) AS tasks_done,
       (SELECT count(*) FROM topic_task t JOIN topic p ON p.id = t.topic_id
        WHERE p.area_code LIKE a.code || '%'
          AND t.deadline_at >= CAST(:from_ts AS timestamptz) AND t.deadline_at < CAST(:to_ts AS timestamptz)) AS tasks_due
FROM area a
WHERE length(a.code) = :n AND a.code LIKE :scope || '%'
ORDER BY a.code
