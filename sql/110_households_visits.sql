-- Five-colour households: colour history, visits and the cadence that sets the next visit.
-- Re-runnable: every statement is idempotent.

-- When the household's current colour was set, and when it was last visited (a visit
-- whose outcome completes it). Both feed the next-due date (household_due_on below).
ALTER TABLE household ADD COLUMN IF NOT EXISTS colour_since timestamptz NOT NULL DEFAULT now();
ALTER TABLE household ADD COLUMN IF NOT EXISTS last_visit_at timestamptz;
ALTER TABLE household ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS household_area_colour_idx ON household (area_id, colour)
    WHERE colour IS NOT NULL;

-- Every colour change: who, when, why. The trigger below refuses an UPDATE of a
-- household's colour unless the transaction names its actor and reason
-- (set_config('gisapp.actor' / 'gisapp.colour_reason', ..., true)), so no change escapes.
CREATE TABLE IF NOT EXISTS household_colour_change (
    id            bigserial PRIMARY KEY,
    household_id  bigint NOT NULL REFERENCES household (id) ON DELETE CASCADE,
    from_colour   smallint REFERENCES five_colour (colour),
    to_colour     smallint REFERENCES five_colour (colour),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    changed_by    text NOT NULL CHECK (length(btrim(changed_by)) > 0),
    user_id       bigint REFERENCES app_user (id),
    reason        text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    -- The colour the tags suggested when the person chose, if a suggestion was shown.
    suggested     smallint REFERENCES five_colour (colour),
    CHECK (from_colour IS DISTINCT FROM to_colour)
);
CREATE INDEX IF NOT EXISTS household_colour_change_hh_idx
    ON household_colour_change (household_id, changed_at);

CREATE OR REPLACE FUNCTION household_colour_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor  text := nullif(current_setting('gisapp.actor', true), '');
    reason text := nullif(btrim(coalesce(current_setting('gisapp.colour_reason', true), '')), '');
    uid    bigint := nullif(current_setting('gisapp.user_id', true), '')::bigint;
    sugg   smallint := nullif(current_setting('gisapp.colour_suggested', true), '')::smallint;
BEGIN
    IF NEW.colour IS NOT DISTINCT FROM OLD.colour THEN
        RETURN NEW;
    END IF;
    IF actor IS NULL OR reason IS NULL THEN
        RAISE EXCEPTION 'a colour change needs an actor and a reason'
            USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO household_colour_change (household_id, from_colour, to_colour, changed_by,
                                         user_id, reason, suggested)
    VALUES (NEW.id, OLD.colour, NEW.colour, actor, uid, reason, sugg);
    NEW.colour_since := now();
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS household_colour_history_trg ON household;
CREATE TRIGGER household_colour_history_trg BEFORE UPDATE OF colour ON household
    FOR EACH ROW EXECUTE FUNCTION household_colour_history();

-- Visit outcomes; `completes` says whether the visit counts for the cadence (a closed
-- door does not: the household is still due).
CREATE TABLE IF NOT EXISTS visit_outcome (
    key       text PRIMARY KEY,
    name_zh   text NOT NULL,
    completes boolean NOT NULL,
    -- Whether the field page offers to open a case for this outcome.
    suggests_case boolean NOT NULL DEFAULT false
);
INSERT INTO visit_outcome (key, name_zh, completes, suggests_case) VALUES
    ('well',        '见到本人，情况良好',   true,  false),
    ('needs_help',  '见到本人，需要帮助',   true,  true),
    ('urgent',      '情况紧急，需立即处置', true,  true),
    ('refused',     '拒绝走访',             true,  false),
    ('not_home',    '不在家，未见到',       false, false)
ON CONFLICT (key) DO NOTHING;

CREATE TABLE IF NOT EXISTS visit (
    id            bigserial PRIMARY KEY,
    -- The phone's id for this visit: a retry on a bad network never stores two.
    client_id     text UNIQUE CHECK (client_id ~ '^[A-Za-z0-9_.:-]{8,64}$'),
    household_id  bigint NOT NULL REFERENCES household (id) ON DELETE CASCADE,
    person_id     bigint REFERENCES person (id),
    user_id       bigint REFERENCES app_user (id),
    visited_at    timestamptz NOT NULL DEFAULT now(),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    outcome       text NOT NULL REFERENCES visit_outcome (key),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    -- The household's colour and leaf area when visited (set by the trigger below).
    colour        smallint REFERENCES five_colour (colour),
    area_code     text,
    -- Where the phone was (WGS 84) and how far from the household, in metres on the
    -- ellipsoid; more than 100 m is flagged for review. No position: flagged too.
    geom          geometry(Point, 4326),
    accuracy_m    real CHECK (accuracy_m IS NULL OR accuracy_m >= 0),
    distance_m    real CHECK (distance_m IS NULL OR distance_m >= 0),
    flagged_far   boolean GENERATED ALWAYS AS (coalesce(distance_m > 100, false)) STORED,
    needs_review  boolean GENERATED ALWAYS AS (geom IS NULL OR coalesce(distance_m > 100, false)) STORED,
    photo_sha256  text CHECK (photo_sha256 IS NULL OR photo_sha256 ~ '^[0-9a-f]{64}$'),
    photo_type    text CHECK (photo_type IS NULL OR photo_type IN ('image/jpeg', 'image/png', 'image/webp')),
    case_id       bigint REFERENCES case_file (id),
    reviewed_at   timestamptz,
    reviewed_by   text,
    CHECK ((photo_sha256 IS NULL) = (photo_type IS NULL)),
    CHECK (visited_at <= recorded_at + interval '5 minutes')
);
CREATE INDEX IF NOT EXISTS visit_household_idx ON visit (household_id, visited_at);
CREATE INDEX IF NOT EXISTS visit_time_idx ON visit (visited_at);
CREATE INDEX IF NOT EXISTS visit_person_idx ON visit (person_id, visited_at);
CREATE INDEX IF NOT EXISTS visit_review_idx ON visit (visited_at) WHERE needs_review AND reviewed_at IS NULL;

-- The distance, colour and area of a visit are the database's to compute, not the client's.
CREATE OR REPLACE FUNCTION visit_fill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h household%ROWTYPE;
BEGIN
    SELECT * INTO h FROM household WHERE id = NEW.household_id;
    NEW.colour := h.colour;
    NEW.area_code := (SELECT code FROM area WHERE id = h.area_id);
    NEW.distance_m := CASE WHEN NEW.geom IS NULL THEN NULL
                           ELSE ST_Distance(NEW.geom::geography, h.geom::geography) END;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS visit_fill_trg ON visit;
CREATE TRIGGER visit_fill_trg BEFORE INSERT OR UPDATE OF household_id, geom ON visit
    FOR EACH ROW EXECUTE FUNCTION visit_fill();

-- Completing visits move their households' last visit forward (never back). Once per
-- statement over the inserted rows, so a bulk insert updates each household once.
DROP TRIGGER IF EXISTS visit_touch_household_trg ON visit;
DROP FUNCTION IF EXISTS visit_touch_household();
CREATE OR REPLACE FUNCTION visit_touch_households() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE household h SET last_visit_at = n.last
    FROM (SELECT v.household_id, max(v.visited_at) AS last
          FROM new_visits v JOIN visit_outcome o ON o.key = v.outcome AND o.completes
          GROUP BY v.household_id) n
    WHERE h.id = n.household_id AND (h.last_visit_at IS NULL OR h.last_visit_at < n.last);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS visit_touch_households_trg ON visit;
CREATE TRIGGER visit_touch_households_trg AFTER INSERT ON visit
    REFERENCING NEW TABLE AS new_visits
    FOR EACH STATEMENT EXECUTE FUNCTION visit_touch_households();

-- The cadence rule, in one place: a visited household is next due one cadence after
-- the day of its last visit (China time); one never visited is due from the day its
-- colour was set. Callers pass the colour's cadence (five_colour.cadence); the body is
-- a single expression so the planner inlines it into city-wide scans.
CREATE OR REPLACE FUNCTION household_due_on(cadence interval, last_visit_at timestamptz,
                                            colour_since timestamptz)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN last_visit_at IS NULL THEN (colour_since AT TIME ZONE 'Asia/Shanghai')::date
        ELSE ((last_visit_at AT TIME ZONE 'Asia/Shanghai')::date + cadence)::date
    END
$$;
-- The same by colour (NULL for a household without one), for ad-hoc queries.
CREATE OR REPLACE FUNCTION household_due_on(colour smallint, last_visit_at timestamptz,
                                            colour_since timestamptz)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT household_due_on((SELECT f.cadence FROM five_colour f WHERE f.colour = $1), $2, $3)
$$;

-- Adjust the cached counts of a leaf area and all its ancestors for one household
-- (added: delta 1, removed: -1), so a single edit does not recount the whole city.
CREATE OR REPLACE FUNCTION adjust_area_counts(leaf bigint, colour smallint, delta integer)
RETURNS void LANGUAGE sql AS $$
    UPDATE area a
    SET households = a.households + delta,
        colour_counts = CASE WHEN colour IS NULL THEN a.colour_counts
                             ELSE a.colour_counts[1:colour - 1]
                                  || (a.colour_counts[colour] + delta)
                                  || a.colour_counts[colour + 1:5] END
    -- The leaf and its ancestors are the prefixes of the leaf's code: equality, indexed.
    WHERE a.code IN (SELECT left(l.code, n) FROM area l, unnest(ARRAY[6, 9, 12, 15, 18]) AS n
                     WHERE l.id = leaf AND n <= length(l.code))
      AND a.retired_at IS NULL
$$;

-- Five rows that autovacuum never analyses; without statistics the planner guesses
-- hundreds, and overestimates every join on colour.
ANALYZE five_colour;
ANALYZE visit_outcome;
