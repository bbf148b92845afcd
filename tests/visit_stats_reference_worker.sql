-- Visit completion per owner (worker) and colour: as visits_stats.sql (read that for
-- expected, done and overdue), but each household counts toward every person whose
-- duty owns it (a duty of a role the colour names, on the household's area or an
-- ancestor). The ancestors of a leaf are the prefixes of its code, so duties are
-- joined on equal codes (a hash join), not LIKE.
WITH hh AS (
    SELECT h.id, h.colour, a.code, h.last_visit_at, h.colour_since, f.owner_roles, f.cadence,
           -- float8, not numeric: numeric arithmetic on 400,000 rows costs seconds.
           extract(epoch FROM f.cadence)::float8 / 86400.0 AS cadence_days,
           greatest(0, CAST(:to_day AS date) + 1 - greatest(CAST(:from_day AS date),
                       (h.colour_since AT TIME ZONE 'Asia/Shanghai')::date)) AS days
    FROM household h
    JOIN area a ON a.id = h.area_id
    JOIN five_colour f ON f.colour = h.colour
    WHERE a.code LIKE :prefix || '%' AND a.code LIKE ANY(CAST(:patterns AS text[]))
),
visit_days AS (
    SELECT v.household_id, (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
           count(*) AS visits, max(v.visited_at) AS last,
           count(*) FILTER (WHERE v.needs_review) AS flagged
    FROM visit v
    WHERE v.outcome = ANY(CAST(:completing AS text[]))      -- outcomes that complete a visit
      AND v.visited_at >= CAST(:window_ts AS timestamptz) AND v.visited_at < CAST(:to_ts AS timestamptz)
    GROUP BY 1, 2
),
done AS (
    SELECT household_id,
           count(*) FILTER (WHERE day >= CAST(:from_day AS date)) AS days,
           sum(visits) FILTER (WHERE day >= CAST(:from_day AS date)) AS visits,
           sum(flagged) FILTER (WHERE day >= CAST(:from_day AS date)) AS flagged,
           max(last) AS last_before_end
    FROM visit_days GROUP BY household_id
),
per_home AS (
    SELECT hh.id, hh.code, hh.colour, hh.owner_roles, hh.cadence, hh.colour_since,
           ceil(hh.days / hh.cadence_days) AS expected,
           CASE WHEN hh.days >= hh.cadence_days THEN least(coalesce(d.days, 0), ceil(hh.days / hh.cadence_days))
                -- visited within one cadence before the end of the period
                WHEN d.last_before_end >= CAST(:to_ts AS timestamptz) - hh.cadence
                THEN ceil(hh.days / hh.cadence_days)
                ELSE 0 END AS done,
           coalesce(d.visits, 0) AS visits, coalesce(d.flagged, 0) AS flagged,
           CASE WHEN hh.last_visit_at < CAST(:to_ts AS timestamptz) THEN hh.last_visit_at
                ELSE d.last_before_end END AS last_before_end
    FROM hh LEFT JOIN done d ON d.household_id = hh.id
    OFFSET 0
),
owned AS (
    SELECT DISTINCT d.person_id, ph.id, ph.colour, ph.expected, ph.done, ph.visits, ph.flagged,
           household_due_on(ph.cadence, ph.last_before_end, ph.colour_since)
               < CAST(:end_day AS date) AS overdue
    FROM per_home ph
    CROSS JOIN LATERAL unnest(ARRAY[6, 9, 12, 15, 18]) AS n
    JOIN area da ON da.code = left(ph.code, n) AND n <= length(ph.code)
    JOIN duty d ON d.area_id = da.id AND d.role = ANY(ph.owner_roles)
               AND d.starts_on <= CAST(:end_day AS date)
               AND (d.ends_on IS NULL OR d.ends_on >= CAST(:from_day AS date))
)
SELECT o.person_id AS key, p.name, o.colour, count(*)::int AS households,
       round(sum(o.expected)::numeric, 2)::float8 AS expected,
       round(sum(o.done)::numeric, 2)::float8 AS done,
       sum(o.visits)::int AS visits, sum(o.flagged)::int AS flagged,
       (count(*) FILTER (WHERE o.overdue))::int AS overdue
FROM owned o
JOIN person p ON p.id = o.person_id
GROUP BY o.person_id, p.name, o.colour
ORDER BY o.person_id, o.colour
