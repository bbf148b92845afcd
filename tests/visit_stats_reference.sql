-- Visit completion per colour over [:from_ts, :to_ts), grouped by the area-code prefix
-- of :code_length digits (0 = one group for the whole scope), for coloured households
-- inside :prefix and the viewer's :patterns.
--   expected: visits the cadence asks for in the days of the period since the
--             household got its current colour, one for each cadence begun in them
--             (a quarterly household in a 30-day month is due 1 visit: never a fraction);
--   done:     days with a completing visit, capped per household at its expectation;
--             when the period is shorter than the cadence (a quarterly household over
--             a month), the household's share counts as done if it was visited within
--             one cadence before the end of the period;
--   overdue:  households whose next visit was past due at the end of the period,
--             judged from their last completing visit before that end. Visits are read
--             from :window_ts, 100 days before the end: a household whose last visit is
--             older is overdue under every cadence (at most 3 months), which is what a
--             NULL last visit with an old colour_since also says.
WITH hh AS (
    SELECT h.id, h.colour, a.code, h.colour_since, h.last_visit_at, f.cadence,
           -- float8, not numeric: numeric arithmetic on 400,000 rows costs seconds.
           extract(epoch FROM f.cadence)::float8 / 86400.0 AS cadence_days,
           -- Days of the period the household has had its current colour.
           greatest(0, CAST(:to_day AS date) + 1 - greatest(CAST(:from_day AS date),
                       (h.colour_since AT TIME ZONE 'Asia/Shanghai')::date)) AS days
    FROM household h
    JOIN area a ON a.id = h.area_id
    JOIN five_colour f ON f.colour = h.colour
    WHERE a.code LIKE :prefix || '%' AND a.code LIKE ANY(CAST(:patterns AS text[]))
),
visit_days AS (
    -- One row per household and day visited (a hash aggregate; count(DISTINCT ...)
    -- would sort every group).
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
    -- OFFSET 0 keeps this a subquery, so last_before_end reaches household_due_on as a
    -- plain column and the function is inlined.
    SELECT hh.code, hh.colour, hh.cadence, hh.colour_since,
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
)
SELECT left(code, :code_length) AS key, colour, count(*)::int AS households,
       round(sum(expected)::numeric, 2)::float8 AS expected,
       round(sum(done)::numeric, 2)::float8 AS done,
       sum(visits)::int AS visits, sum(flagged)::int AS flagged,
       (count(*) FILTER (WHERE household_due_on(cadence, last_before_end, colour_since)
                               < CAST(:end_day AS date)))::int AS overdue
FROM per_home
GROUP BY 1, 2
ORDER BY 1, 2
