-- Residents' data for one month of the bench city (scripts/bench assessment), which has
-- cases and visits but no answers, demands or topics: satisfaction on half the closed
-- cases and a tenth of the completing visits, two demands per grid, two topics with three
-- follow-up tasks per community. :from_ts and :to_ts bound the month (China time).
INSERT INTO satisfaction (source, case_id, area_code, person_id, score, comment, at)
SELECT 'case', c.id, c.area_code, c.assignee_person_id,
       (ARRAY[1, 2, 3, 4, 4, 5, 5, 5])[1 + floor(random() * 8)::int], '',
       least(c.closed_at + interval '1 day', CAST(:to_ts AS timestamptz) - interval '1 minute')
FROM case_file c
WHERE c.state IN ('closed', 'evaluated') AND c.area_code IS NOT NULL
  AND c.reported_at >= CAST(:from_ts AS timestamptz) AND c.reported_at < CAST(:to_ts AS timestamptz)
  AND random() < 0.5
ON CONFLICT DO NOTHING;

INSERT INTO satisfaction (source, visit_id, area_code, person_id, score, at)
SELECT 'visit', v.id, v.area_code, v.person_id,
       (ARRAY[2, 3, 4, 4, 5, 5, 5, 5])[1 + floor(random() * 8)::int], v.visited_at
FROM visit v
WHERE v.visited_at >= CAST(:from_ts AS timestamptz) AND v.visited_at < CAST(:to_ts AS timestamptz)
  AND v.area_code IS NOT NULL AND random() < 0.1
ON CONFLICT DO NOTHING;

INSERT INTO demand (receipt, category, body, geom, area_id, area_code, source, state, answer,
                    created_at, deadline_at, closed_at)
SELECT upper(substr(md5(g.id::text || ':' || n || random()::text), 1, 10)), 'other', '希望增设休息座椅',
       ST_PointOnSurface(v.geom), g.id, g.code, 'staff',
       CASE WHEN done THEN 'answered' ELSE 'open' END, CASE WHEN done THEN '已安排' END,
       due - interval '15 days', due, CASE WHEN done THEN due + (random() - 0.8) * interval '5 days' END
FROM area g
JOIN area_version v ON v.area_id = g.id AND v.valid_to IS NULL
CROSS JOIN generate_series(1, 2) n
CROSS JOIN LATERAL (SELECT CAST(:from_ts AS timestamptz)
                           + random() * (CAST(:to_ts AS timestamptz) - CAST(:from_ts AS timestamptz)) AS due,
                           random() < 0.8 + 0 * n AS done) d
WHERE g.level = 4 AND g.retired_at IS NULL
ON CONFLICT DO NOTHING;

WITH topics AS (
    INSERT INTO topic (level, area_id, area_code, title, public_token, geom)
    SELECT 'community', a.id, a.code, '老旧小区加装电梯 ' || n, md5(a.code || n || random()::text),
           ST_PointOnSurface(v.geom)
    FROM area a
    JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
    CROSS JOIN generate_series(1, 2) n
    WHERE a.level = 3 AND a.retired_at IS NULL
    RETURNING id, area_id
)
INSERT INTO topic_task (topic_id, title, owner_person_id, owner_name, deadline_at, done_at)
SELECT t.id, '落实事项 ' || k, o.person_id, '负责人', d.due,
       CASE WHEN random() < 0.7 THEN d.due - random() * interval '3 days' END
FROM topics t
CROSS JOIN generate_series(1, 3) k
CROSS JOIN LATERAL (SELECT CAST(:from_ts AS timestamptz) + interval '1 day'
                           + random() * (CAST(:to_ts AS timestamptz) - CAST(:from_ts AS timestamptz)
                                         - interval '4 days') + 0 * k * interval '1 s' AS due) d
LEFT JOIN LATERAL (SELECT du.person_id FROM duty du JOIN area x ON x.id = du.area_id
                   WHERE x.parent_id = t.area_id AND du.role IN ('grid_worker', 'grid_leader')
                   ORDER BY du.id OFFSET k LIMIT 1) o ON true;
