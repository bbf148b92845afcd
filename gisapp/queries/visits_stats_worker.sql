-- Visit completion per owner (worker) and colour: as visits_stats.sql, but each
-- household counts toward every person whose duty owns it (a duty of a role the
-- colour names, on the household's area or an ancestor). The ancestors of a leaf are
-- the prefixes of its code, so duties are joined on equal codes (a hash join), not LIKE.
WITH hh AS (
    SELECT h.id, h.colour, a.code, h.last_visit_at, h.colour_since, f.owner_roles, f.cadence,
           extract(epoch FROM f.cadence) / 86400.0 AS cadence_days,
           -- Days of the period the household has had its current colour.
           greatest(0, CAST(:to_day AS date) + 1 - greatest(CAST(:from_day AS date),
                       (h.colour_since AT TIME ZONE 'Asia/Shanghai')::date)) AS days
    FROM household h
    JOIN area a ON a.id = h.area_id
    JOIN five_colour f ON f.colour = h.colour
    WHERE a.code LIKE :prefix || '%' AND a.code LIKE ANY(CAST(:patterns AS text[]))
),
done AS (
    -- Visits in the period, and whether there was one within the last cadence before
    -- its end (for colours whose cadence is longer than the period).
    SELECT v.household_id,
           count(DISTINCT (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date)
               FILTER (WHERE v.visited_at >= CAST(:from_ts AS timestamptz)) AS days,
           count(*) FILTER (WHERE v.visited_at >= CAST(:from_ts AS timestamptz)) AS visits,
           count(*) FILTER (WHERE v.visited_at >= CAST(:to_ts AS timestamptz) - f.cadence) AS in_cadence,
           max(v.visited_at) AS last_in_period,
           count(*) FILTER (WHERE v.needs_review AND v.visited_at >= CAST(:from_ts AS timestamptz)) AS flagged
    FROM visit v
    JOIN visit_outcome o ON o.key = v.outcome AND o.completes
    JOIN five_colour f ON f.colour = v.colour
    WHERE v.visited_at >= CAST(:window_ts AS timestamptz) AND v.visited_at < CAST(:to_ts AS timestamptz)
    GROUP BY v.household_id
),
owned AS (
    SELECT DISTINCT d.person_id, hh.id, hh.colour, hh.cadence, hh.cadence_days, hh.days, hh.last_visit_at, hh.colour_since
    FROM hh
    CROSS JOIN LATERAL unnest(ARRAY[6, 9, 12, 15, 18]) AS n
    JOIN area da ON da.code = left(hh.code, n) AND n <= length(hh.code)
    JOIN duty d ON d.area_id = da.id AND d.role = ANY(hh.owner_roles)
               AND d.starts_on <= CAST(:end_day AS date)
               AND (d.ends_on IS NULL OR d.ends_on >= CAST(:from_day AS date))
)
SELECT o.person_id AS key, p.name, o.colour, count(*)::int AS households,
       round(sum(o.days / o.cadence_days)::numeric, 2)::float8 AS expected,
       round(sum(CASE WHEN o.days >= o.cadence_days THEN least(coalesce(d.days, 0), o.days / o.cadence_days)
                      WHEN coalesce(d.in_cadence, 0) > 0 THEN o.days / o.cadence_days
                      ELSE 0 END)::numeric, 2)::float8 AS done,
       sum(coalesce(d.visits, 0))::int AS visits, sum(coalesce(d.flagged, 0))::int AS flagged,
       (count(*) FILTER (WHERE household_due_on(o.cadence,
            CASE WHEN o.last_visit_at IS NULL OR o.last_visit_at < CAST(:to_ts AS timestamptz)
                 THEN o.last_visit_at
                 ELSE (SELECT max(v.visited_at) FROM visit v JOIN visit_outcome vo ON vo.key = v.outcome
                       WHERE v.household_id = o.id AND vo.completes
                         AND v.visited_at < CAST(:to_ts AS timestamptz)) END,
            o.colour_since) < CAST(:end_day AS date)))::int AS overdue
FROM owned o
JOIN person p ON p.id = o.person_id
LEFT JOIN done d ON d.household_id = o.id
GROUP BY o.person_id, p.name, o.colour
ORDER BY o.person_id, o.colour
