-- Visit completion per colour over [:from_ts, :to_ts), grouped by the area-code prefix
-- of :code_length digits (0 = one group for the whole scope), for coloured households
-- inside :prefix and the viewer's :patterns.
--   expected: visits the cadence asks for in the days of the period since the
--             household got its current colour, fractional (a quarterly household
--             in a 30-day month is expected 1/3 of a visit);
--   done:     days with a completing visit, capped per household at its expectation;
--             when the period is shorter than the cadence (a quarterly household over
--             a month), the household's share counts as done if it was visited within
--             one cadence before the end of the period;
--   overdue:  households whose next visit was past due at the end of the period,
--             judged from their last completing visit before that end.
WITH hh AS (
    SELECT h.id, h.colour, a.code, h.colour_since, h.last_visit_at, f.cadence,
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
per_home AS (
    SELECT hh.code, hh.colour,
           hh.days / hh.cadence_days AS expected,
           CASE WHEN hh.days >= hh.cadence_days THEN least(coalesce(d.days, 0), hh.days / hh.cadence_days)
                WHEN coalesce(d.in_cadence, 0) > 0 THEN hh.days / hh.cadence_days
                ELSE 0 END AS done,
           coalesce(d.visits, 0) AS visits, coalesce(d.flagged, 0) AS flagged,
           household_due_on(hh.cadence,
               CASE WHEN hh.last_visit_at IS NULL OR hh.last_visit_at < CAST(:to_ts AS timestamptz)
                    THEN hh.last_visit_at
                    WHEN d.last_in_period IS NOT NULL AND d.last_in_period >= CAST(:from_ts AS timestamptz)
                    THEN d.last_in_period
                    ELSE (SELECT max(v.visited_at) FROM visit v JOIN visit_outcome o ON o.key = v.outcome
                          WHERE v.household_id = hh.id AND o.completes
                            AND v.visited_at < CAST(:from_ts AS timestamptz)) END,
               hh.colour_since) < CAST(:end_day AS date) AS overdue
    FROM hh LEFT JOIN done d ON d.household_id = hh.id
)
SELECT left(code, :code_length) AS key, colour, count(*)::int AS households,
       round(sum(expected)::numeric, 2)::float8 AS expected,
       round(sum(done)::numeric, 2)::float8 AS done,
       sum(visits)::int AS visits, sum(flagged)::int AS flagged,
       (count(*) FILTER (WHERE overdue))::int AS overdue
FROM per_home
GROUP BY 1, 2
ORDER BY 1, 2
