-- Synthetic visit history for the demo city. Every coloured household is visited at
-- its cadence over the last max(:days, cadence) days, from a random first day; about
-- :kept of the visits happen (the rest are missed, so some households are overdue),
-- in office hours China time, by an owner found through the duties on its community,
-- grid or micro-grid, from a point near the door (3% from more than 100 m away).
-- colour_since is moved back a year first (a data-modifying CTE always runs), so
-- "never visited" means overdue. (`+ 0 * h.id` keeps the planner from memoising the
-- series per cadence, which would give every household of a colour the same days.)
WITH aged AS (
    UPDATE household SET colour_since = now() - interval '1 year'
    WHERE colour IS NOT NULL AND colour_since > now() - interval '1 year'
    RETURNING id
),
homes AS (
    SELECT h.id, h.geom, f.owner_roles,
           greatest(1, round(extract(epoch FROM f.cadence) / 86400))::int AS step,
           (SELECT d.person_id FROM duty d JOIN area da ON da.id = d.area_id
            WHERE d.role = ANY(f.owner_roles)
              AND da.code = ANY(ARRAY[left(a.code, 12), left(a.code, 15), a.code])
            ORDER BY length(da.code) DESC, d.id LIMIT 1) AS owner
    FROM household h
    JOIN five_colour f ON f.colour = h.colour
    JOIN area a ON a.id = h.area_id
),
plan AS (
    SELECT h.id, h.geom, h.owner, k,
           (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') - make_interval(days => k)
            + make_interval(secs => 32400 + 28800 * random())) AT TIME ZONE 'Asia/Shanghai' AS at,
           random() AS r
    FROM homes h
    CROSS JOIN LATERAL generate_series((floor(random() * h.step) + 0 * h.id)::int,
                                       greatest(:days, h.step) - 1, h.step) AS k
)
INSERT INTO visit (household_id, person_id, visited_at, recorded_at, outcome, note, geom, accuracy_m)
SELECT id, owner, at, at,
       CASE WHEN r < 0.06 THEN 'not_home' WHEN r < 0.12 THEN 'needs_help' ELSE 'well' END,
       CASE WHEN r < 0.06 THEN '敲门无人应答' WHEN r < 0.12 THEN '需协助办理补贴' ELSE '' END,
       ST_Project(geom::geography,
                  CASE WHEN random() < 0.03 THEN 120 + 300 * random() ELSE 40 * random() END,
                  2 * pi() * random())::geometry,
       (10 + 20 * random())::real
FROM plan
WHERE at < now() AND random() < :kept
