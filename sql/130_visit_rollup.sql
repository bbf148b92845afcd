-- A rollup of completing visits per household, kept by triggers in the writing
-- transaction, so the completion figures (visit_figures_by_leaf below) read one narrow
-- row per household instead of aggregating every visit and the wide household table
-- (a city's month: 3 s -> under 1 s, measured in scripts/bench visits).
-- Re-runnable: every statement is idempotent, and the rollup is rebuilt at the end.

-- One row per household that has a colour or has had a completing visit. The household's
-- own columns the figures need are copied (area_id with its code, which never changes;
-- colour; colour_since and last_visit_at as China dates); the visits are three parallel arrays over the days (China time) with
-- at least one completing visit, oldest first: the day, and the running totals of
-- completing visits and of those flagged for review up to and including that day. A
-- period's count of visited days is then two binary searches (width_bucket) and its
-- visits a difference of two running totals, whatever the period.
CREATE TABLE IF NOT EXISTS household_visit_rollup (
    household_id   bigint PRIMARY KEY REFERENCES household (id) ON DELETE CASCADE,
    area_id        bigint,
    area_code      text,
    colour         smallint,
    since_day      date NOT NULL,          -- colour_since, China date
    last_visit_day date,                   -- last_visit_at, China date
    visit_days     date[] NOT NULL DEFAULT '{}',
    visits_upto    int[] NOT NULL DEFAULT '{}',
    flagged_upto   int[] NOT NULL DEFAULT '{}',
    -- The last of each, read without searching when a period ends after the last visit.
    days_total     int GENERATED ALWAYS AS (cardinality(visit_days)) STORED,
    last_day       date GENERATED ALWAYS AS (visit_days[cardinality(visit_days)]) STORED,
    visits_total   int GENERATED ALWAYS AS (coalesce(visits_upto[cardinality(visits_upto)], 0)) STORED,
    flagged_total  int GENERATED ALWAYS AS (coalesce(flagged_upto[cardinality(flagged_upto)], 0)) STORED,
    CHECK (cardinality(visit_days) = cardinality(visits_upto)
           AND cardinality(visit_days) = cardinality(flagged_upto))
);
CREATE INDEX IF NOT EXISTS household_visit_rollup_area_idx
    ON household_visit_rollup (area_code text_pattern_ops) WHERE colour IS NOT NULL;

-- Add per-day changes (day, visits, flagged; negative to remove) to a household's
-- arrays; days left with no visit drop out. Used through a row's own columns in an
-- UPDATE's SET, so a concurrent writer's change is re-read (EvalPlanQual), not lost.
CREATE OR REPLACE FUNCTION visit_rollup_merge(days date[], visits_upto int[], flagged_upto int[],
                                              add_days date[], add_visits int[], add_flagged int[],
                                              OUT new_days date[], OUT new_visits_upto int[],
                                              OUT new_flagged_upto int[])
LANGUAGE sql IMMUTABLE AS $$
    WITH per_day AS (
        SELECT d AS day, v - coalesce(lag(v) OVER (ORDER BY i), 0) AS visits,
               f - coalesce(lag(f) OVER (ORDER BY i), 0) AS flagged
        FROM unnest($1, $2, $3) WITH ORDINALITY AS o (d, v, f, i)
        UNION ALL
        SELECT * FROM unnest($4, $5, $6)
    ), total AS (
        SELECT day, sum(visits) AS visits, sum(flagged) AS flagged
        FROM per_day GROUP BY day HAVING sum(visits) > 0
    ), running AS (
        SELECT day, sum(visits) OVER w AS visits, sum(flagged) OVER w AS flagged
        FROM total WINDOW w AS (ORDER BY day)
    )
    SELECT coalesce(array_agg(day ORDER BY day), '{}'),
           coalesce(array_agg(visits::int ORDER BY day), '{}'),
           coalesce(array_agg(flagged::int ORDER BY day), '{}')
    FROM running
$$;

-- Add changes (household, China day, visits, flagged; parallel arrays) to the rollup:
-- a row for each household still there (its columns as they stand), then the merged arrays.
CREATE OR REPLACE FUNCTION visit_rollup_add(change_homes bigint[], change_days date[],
                                            change_visits int[], change_flagged int[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO household_visit_rollup (household_id, area_id, area_code, colour, since_day,
                                        last_visit_day)
    SELECT h.id, h.area_id, (SELECT a.code FROM area a WHERE a.id = h.area_id), h.colour,
           (h.colour_since AT TIME ZONE 'Asia/Shanghai')::date,
           (h.last_visit_at AT TIME ZONE 'Asia/Shanghai')::date
    FROM household h
    WHERE h.id = ANY(change_homes)
    ORDER BY h.id
    ON CONFLICT (household_id) DO NOTHING;
    UPDATE household_visit_rollup r
    SET (visit_days, visits_upto, flagged_upto) =
        (SELECT * FROM visit_rollup_merge(r.visit_days, r.visits_upto, r.flagged_upto,
                                          d.days, d.visits, d.flagged))
    FROM (SELECT household_id, array_agg(day) AS days, array_agg(visits) AS visits,
                 array_agg(flagged) AS flagged
          FROM (SELECT c.household_id, c.day, sum(c.visits)::int AS visits, sum(c.flagged)::int AS flagged
                FROM unnest(change_homes, change_days, change_visits, change_flagged)
                     AS c (household_id, day, visits, flagged)
                GROUP BY 1, 2 HAVING sum(c.visits) <> 0 OR sum(c.flagged) <> 0) s
          GROUP BY household_id) d
    WHERE r.household_id = d.household_id;
$$;

-- Visits: the change per household and day of completing visits, from the statement's
-- new rows (counted in) and old rows (counted out).
CREATE OR REPLACE FUNCTION visit_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    homes bigint[]; days date[]; visits int[]; flagged int[];
BEGIN
    -- Transition tables are visible here only, and only those this trigger declares.
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(v.household_id), array_agg((v.visited_at AT TIME ZONE 'Asia/Shanghai')::date),
               array_agg(1), array_agg(v.needs_review::int)
        INTO homes, days, visits, flagged
        FROM new_visits v JOIN visit_outcome o ON o.key = v.outcome AND o.completes;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(v.household_id), array_agg((v.visited_at AT TIME ZONE 'Asia/Shanghai')::date),
               array_agg(-1), array_agg(-v.needs_review::int)
        INTO homes, days, visits, flagged
        FROM old_visits v JOIN visit_outcome o ON o.key = v.outcome AND o.completes;
    ELSE
        SELECT array_agg(c.household_id), array_agg(c.day), array_agg(c.visits), array_agg(c.flagged)
        INTO homes, days, visits, flagged
        FROM (SELECT v.household_id, (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
                     1 AS visits, v.needs_review::int AS flagged
              FROM new_visits v JOIN visit_outcome o ON o.key = v.outcome AND o.completes
              UNION ALL
              SELECT v.household_id, (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date, -1,
                     -v.needs_review::int
              FROM old_visits v JOIN visit_outcome o ON o.key = v.outcome AND o.completes) c;
    END IF;
    IF homes IS NOT NULL THEN
        PERFORM visit_rollup_add(homes, days, visits, flagged);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS visit_rollup_insert_trg ON visit;
CREATE TRIGGER visit_rollup_insert_trg AFTER INSERT ON visit
    REFERENCING NEW TABLE AS new_visits
    FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_apply();
-- (Transition tables allow no column list: every update of a visit comes through, and
-- one that changes no completing visit's household, day or flag adds nothing.)
DROP TRIGGER IF EXISTS visit_rollup_update_trg ON visit;
CREATE TRIGGER visit_rollup_update_trg AFTER UPDATE ON visit
    REFERENCING OLD TABLE AS old_visits NEW TABLE AS new_visits
    FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_apply();
DROP TRIGGER IF EXISTS visit_rollup_delete_trg ON visit;
CREATE TRIGGER visit_rollup_delete_trg AFTER DELETE ON visit
    REFERENCING OLD TABLE AS old_visits
    FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_apply();

-- Households: copy the columns the figures need when they change (a move, a colour
-- change, a visit moving last_visit_at), for coloured households and those with a row.
CREATE OR REPLACE FUNCTION household_rollup_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO household_visit_rollup (household_id, area_id, area_code, colour, since_day,
                                            last_visit_day)
        SELECT n.id, n.area_id, a.code, n.colour, (n.colour_since AT TIME ZONE 'Asia/Shanghai')::date,
               (n.last_visit_at AT TIME ZONE 'Asia/Shanghai')::date
        FROM new_homes n LEFT JOIN area a ON a.id = n.area_id
        WHERE n.colour IS NOT NULL
        ON CONFLICT (household_id) DO NOTHING;
        RETURN NULL;
    END IF;
    INSERT INTO household_visit_rollup (household_id, area_id, area_code, colour, since_day,
                                        last_visit_day)
    SELECT n.id, n.area_id, a.code, n.colour, (n.colour_since AT TIME ZONE 'Asia/Shanghai')::date,
           (n.last_visit_at AT TIME ZONE 'Asia/Shanghai')::date
    FROM new_homes n JOIN old_homes o ON o.id = n.id LEFT JOIN area a ON a.id = n.area_id
    WHERE (o.area_id, o.colour, o.colour_since, o.last_visit_at)
          IS DISTINCT FROM (n.area_id, n.colour, n.colour_since, n.last_visit_at)
      AND (n.colour IS NOT NULL
           OR EXISTS (SELECT 1 FROM household_visit_rollup r WHERE r.household_id = n.id))
    ORDER BY n.id
    ON CONFLICT (household_id) DO UPDATE
    SET area_id = excluded.area_id, area_code = excluded.area_code, colour = excluded.colour,
        since_day = excluded.since_day,
        last_visit_day = excluded.last_visit_day;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS household_rollup_insert_trg ON household;
CREATE TRIGGER household_rollup_insert_trg AFTER INSERT ON household
    REFERENCING NEW TABLE AS new_homes
    FOR EACH STATEMENT EXECUTE FUNCTION household_rollup_copy();
DROP TRIGGER IF EXISTS household_rollup_update_trg ON household;
CREATE TRIGGER household_rollup_update_trg AFTER UPDATE ON household
    REFERENCING OLD TABLE AS old_homes NEW TABLE AS new_homes
    FOR EACH STATEMENT EXECUTE FUNCTION household_rollup_copy();

-- The whole rollup from the households and visits (schema load; an outcome's
-- `completes` changing, which changes which visits count).
CREATE OR REPLACE FUNCTION visit_rollup_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM household_visit_rollup;
    WITH per_day AS (
        SELECT v.household_id, (v.visited_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
               count(*) AS visits, count(*) FILTER (WHERE v.needs_review) AS flagged
        FROM visit v JOIN visit_outcome o ON o.key = v.outcome AND o.completes
        GROUP BY 1, 2
    ), running AS (
        SELECT household_id, day, sum(visits) OVER w AS visits, sum(flagged) OVER w AS flagged
        FROM per_day WINDOW w AS (PARTITION BY household_id ORDER BY day)
    ), arrays AS (
        SELECT household_id, array_agg(day ORDER BY day) AS days,
               array_agg(visits::int ORDER BY day) AS visits, array_agg(flagged::int ORDER BY day) AS flagged
        FROM running GROUP BY household_id
    )
    INSERT INTO household_visit_rollup (household_id, area_id, area_code, colour, since_day, last_visit_day,
                                        visit_days, visits_upto, flagged_upto)
    SELECT h.id, h.area_id, ar.code, h.colour, (h.colour_since AT TIME ZONE 'Asia/Shanghai')::date,
           (h.last_visit_at AT TIME ZONE 'Asia/Shanghai')::date,
           coalesce(a.days, '{}'), coalesce(a.visits, '{}'), coalesce(a.flagged, '{}')
    FROM household h LEFT JOIN arrays a ON a.household_id = h.id LEFT JOIN area ar ON ar.id = h.area_id
    WHERE h.colour IS NOT NULL OR a.household_id IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION visit_outcome_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_outcomes o JOIN new_outcomes n USING (key)
               WHERE o.completes IS DISTINCT FROM n.completes) THEN
        PERFORM visit_rollup_rebuild();
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS visit_outcome_rollup_trg ON visit_outcome;
CREATE TRIGGER visit_outcome_rollup_trg AFTER UPDATE ON visit_outcome
    REFERENCING OLD TABLE AS old_outcomes NEW TABLE AS new_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION visit_outcome_rollup();

-- Completion figures per leaf area and colour over the days [from_day, to_day], for the
-- coloured households inside `prefix` and the LIKE `patterns`; callers roll them up to
-- their groups. The rules are those of the straightforward reading of the visits, which
-- tests/visit_stats_reference.sql keeps and tests/test_visit_rollup.py compares:
--   expected: the cadence's visits over the days of the period since the household got
--             its current colour, in whole visits: one for each cadence begun in those
--             days (a quarterly household in a 30-day month is due 1 visit, not 1/3;
--             a count of visits is never fractional);
--   done:     days with a completing visit, capped per household at its expectation;
--             when the period is shorter than the cadence, the household's one visit
--             counts as done if it was visited within one cadence before the end (to_ts);
--   overdue:  households whose next visit (household_due_on, sql/110) was past due on
--             end_day, from their last visit before to_ts (last_visit_at, or else the
--             last completing visit from window_ts on);
--   visits, flagged: completing visits in the period, and those flagged for review.
-- to_ts and window_ts are midnights in China (gisapp/visit_stats.py); `to_ts - cadence`
-- is one too while the session's time zone keeps no daylight saving (UTC here), so a
-- visit is within the cadence exactly when its China day is on or after that day's.
DROP FUNCTION IF EXISTS visit_figures_by_leaf(date, date, timestamptz, timestamptz, date, text, text[]);
CREATE FUNCTION visit_figures_by_leaf(from_day date, to_day date, to_ts timestamptz,
                                                 window_ts timestamptz, end_day date,
                                                 prefix text, patterns text[])
RETURNS TABLE (code text, colour smallint, households int,
               expected float8, done float8, visits int, flagged int, overdue int)
LANGUAGE sql STABLE AS $$
    WITH rule AS MATERIALIZED (
        -- Per colour: the cadence in days (float8: numeric on 400,000 rows costs seconds);
        -- the first China day a visit must fall on to be within one cadence before to_ts;
        -- the last day a last visit may fall on and leave the household overdue on
        -- end_day (day + cadence grows with the day, so that is a prefix of days).
        SELECT f.colour, f.cadence, extract(epoch FROM f.cadence)::float8 / 86400.0 AS cadence_days,
               ((to_ts - f.cadence) AT TIME ZONE 'Asia/Shanghai')::date AS recent_from,
               (window_ts AT TIME ZONE 'Asia/Shanghai')::date AS window_day,
               (SELECT max(d)::date
                FROM generate_series(end_day - f.cadence - interval '10 days', end_day::timestamp,
                                     interval '1 day') AS d
                WHERE (d::date + f.cadence)::date < end_day) AS overdue_through
        FROM five_colour f
    ), home AS (
        SELECT r.area_code AS code, r.colour, f.cadence_days, f.recent_from, f.overdue_through, f.window_day,
               r.since_day, r.visit_days, r.visits_upto, r.flagged_upto,
               greatest(0, to_day + 1 - greatest(from_day, r.since_day)) AS days,
               CASE WHEN r.last_visit_day <= to_day THEN r.last_visit_day END AS last_known,
               r.last_day, r.visits_total, r.flagged_total,
               -- How many visit days fall up to the end, and before the start, of the period
               -- (the arrays are read only when the period ends before the last visit day).
               CASE WHEN r.last_day <= to_day THEN r.days_total
                    ELSE width_bucket(to_day, r.visit_days) END AS hi,
               width_bucket(from_day - 1, r.visit_days) AS lo
        FROM household_visit_rollup r
        JOIN rule f ON f.colour = r.colour
        WHERE r.area_code LIKE prefix || '%' AND r.area_code LIKE ANY(patterns)
    ), per_home AS (
        SELECT code, colour, cadence_days, recent_from, overdue_through, since_day, days,
               hi - lo AS days_visited, last_known,
               CASE WHEN last_day <= to_day THEN visits_total ELSE coalesce(visits_upto[hi], 0) END
                   - CASE WHEN lo = 0 THEN 0 ELSE visits_upto[lo] END AS visits,
               CASE WHEN last_day <= to_day THEN flagged_total ELSE coalesce(flagged_upto[hi], 0) END
                   - CASE WHEN lo = 0 THEN 0 ELSE flagged_upto[lo] END AS flagged,
               -- the last completing visit day before to_ts, from window_ts on
               CASE WHEN last_day <= to_day THEN CASE WHEN last_day >= window_day THEN last_day END
                    WHEN hi > 0 AND visit_days[hi] >= window_day THEN visit_days[hi] END AS last_seen
        FROM home
    )
    SELECT code, colour, count(*)::int, sum(ceil(days / cadence_days)),
           sum(CASE WHEN days >= cadence_days THEN least(days_visited, ceil(days / cadence_days))
                    WHEN last_seen >= recent_from THEN ceil(days / cadence_days)
                    ELSE 0 END),
           sum(visits)::int, sum(flagged)::int,
           (count(*) FILTER (WHERE CASE WHEN coalesce(last_known, last_seen) IS NULL
                                       THEN since_day < end_day
                                       ELSE coalesce(last_known, last_seen) <= overdue_through END))::int
    FROM per_home
    GROUP BY code, colour
$$;

SELECT visit_rollup_rebuild();
ANALYZE household_visit_rollup;
