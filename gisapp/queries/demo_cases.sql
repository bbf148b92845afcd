-- A year of synthetic cases for one district (benchmarks and the map wall demo).
-- Points are households' locations jittered by up to ~20 m, so every case lies in an area.
WITH picks AS (
    SELECT h.geom, h.area_id, a.code, abs(hashtext(h.id::text || :seed)) AS hv
    FROM household h JOIN area a ON a.id = h.area_id
    WHERE a.code LIKE :district || '%'
    ORDER BY md5(h.id::text || :seed)
    LIMIT :n
), cats AS (
    SELECT key, kind, limit_hours, department, row_number() OVER (ORDER BY key) - 1 AS i,
           count(*) OVER () AS n
    FROM case_category
), drafted AS (
    SELECT p.*, c.key, c.kind, c.limit_hours, c.department,
           now() - random() * interval '365 days' AS reported_at, random() AS r
    FROM picks p
    -- The category follows from a hash of the household, one per pick (a random() join
    -- condition would be re-evaluated per candidate pair).
    JOIN cats c ON c.i = p.hv % c.n
), timed AS (
    SELECT d.*,
           CASE WHEN d.reported_at > now() - interval '7 days' THEN
                    (ARRAY['reported', 'registered', 'dispatched', 'in_progress', 'handled'])[1 + floor(d.r * 5)::int]
                WHEN d.r < 0.05 THEN 'cancelled'
                WHEN d.r < 0.10 THEN 'in_progress'
                WHEN d.r < 0.55 THEN 'closed'
                ELSE 'evaluated' END AS state,
           d.reported_at + interval '1 hour' AS dispatched_at
    FROM drafted d
)
INSERT INTO case_file (kind, category, description, reporter_kind, geom, reported_at, area_id,
                       area_code, department, state, dispatched_at, deadline_at, handled_at,
                       closed_at, rework_count, cancel_reason, evaluation)
SELECT t.kind, t.key, '示范案件（系统生成）', 'staff',
       ST_Translate(t.geom, (random() - 0.5) * 0.0004, (random() - 0.5) * 0.0003),
       t.reported_at, t.area_id, t.code, t.department, t.state,
       CASE WHEN t.state NOT IN ('reported', 'registered', 'cancelled') THEN t.dispatched_at END,
       CASE WHEN t.state NOT IN ('reported', 'registered', 'cancelled')
            THEN t.dispatched_at + t.limit_hours * interval '3 hours' END,
       CASE WHEN t.state IN ('handled', 'closed', 'evaluated')
            THEN t.dispatched_at + t.limit_hours * interval '4 hours' * random() END,
       CASE WHEN t.state IN ('closed', 'evaluated')
            THEN t.dispatched_at + t.limit_hours * interval '4 hours' + interval '2 hours' END,
       CASE WHEN random() < 0.08 THEN 1 ELSE 0 END,
       CASE WHEN t.state = 'cancelled' THEN '无效举报' END,
       CASE WHEN t.state = 'evaluated' THEN 3 + floor(random() * 3)::int END
FROM timed t
