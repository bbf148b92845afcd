-- Consultation (议事协商): topics settled in six logged steps at four levels.
-- Levels map onto the area hierarchy (see docs/consultation.md): a street topic belongs to
-- a street (area level 2), a community topic to a community (3), a courtyard (楼院) topic to
-- a micro-grid (5, the 50-100 households of a courtyard), a building topic to a building
-- (its area_id is the building's leaf area, its building_id the building).

CREATE TABLE IF NOT EXISTS topic (
    id            bigserial PRIMARY KEY,
    level         text NOT NULL CHECK (level IN ('street', 'community', 'courtyard', 'building')),
    area_id       bigint NOT NULL REFERENCES area (id),
    area_code     text NOT NULL,
    building_id   bigint REFERENCES building (id),
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body          text NOT NULL DEFAULT '' CHECK (length(body) <= 4000),
    -- 1 collect opinions, 2 set the topic, 3 draft the plan, 4 announce, 5 deliberate,
    -- 6 report back: the step reached (its log row exists in topic_step).
    step          smallint NOT NULL DEFAULT 1 CHECK (step BETWEEN 1 AND 6),
    state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'reported', 'dropped')),
    public_token  text NOT NULL UNIQUE CHECK (public_token ~ '^[A-Za-z0-9_-]{16,64}$'),
    -- Where the topic is drawn on the map: a point on its area or its building.
    geom          geometry(Point, 4326) NOT NULL,
    plan          text NOT NULL DEFAULT '' CHECK (length(plan) <= 8000),
    announcement  text NOT NULL DEFAULT '' CHECK (length(announcement) <= 8000),
    minutes       text NOT NULL DEFAULT '' CHECK (length(minutes) <= 20000),
    decision      text NOT NULL DEFAULT '' CHECK (length(decision) <= 8000),
    outcome       text NOT NULL DEFAULT '' CHECK (length(outcome) <= 8000),
    created_by_user_id bigint REFERENCES app_user (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    reported_at   timestamptz,
    drop_reason   text,
    version       integer NOT NULL DEFAULT 1,
    CHECK ((level = 'building') = (building_id IS NOT NULL)),
    CHECK ((state = 'reported') = (reported_at IS NOT NULL)),
    CHECK (state <> 'reported' OR step = 6),
    CHECK (state <> 'dropped' OR drop_reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS topic_area_code_idx ON topic (area_code text_pattern_ops);
CREATE INDEX IF NOT EXISTS topic_area_idx ON topic (area_id);
CREATE INDEX IF NOT EXISTS topic_building_idx ON topic (building_id);
CREATE INDEX IF NOT EXISTS topic_geom_idx ON topic USING gist (geom);
CREATE INDEX IF NOT EXISTS topic_created_idx ON topic (created_at);
CREATE INDEX IF NOT EXISTS topic_creator_idx ON topic (created_by_user_id);

-- The log: one row per step taken (and per drop), who, when, with a note.
CREATE TABLE IF NOT EXISTS topic_step (
    id            bigserial PRIMARY KEY,
    topic_id      bigint NOT NULL REFERENCES topic (id),
    step          smallint NOT NULL CHECK (step BETWEEN 1 AND 6),
    action        text NOT NULL DEFAULT 'step' CHECK (action IN ('step', 'drop')),
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES app_user (id),
    actor_name    text,
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    -- The number of attachments (their rows are in topic_attachment).
    attachments   integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS topic_step_topic_idx ON topic_step (topic_id, id);
CREATE INDEX IF NOT EXISTS topic_step_actor_idx ON topic_step (actor_user_id);

-- Files of a step, stored by content (var/photos/<sha256>, as case photos).
CREATE TABLE IF NOT EXISTS topic_attachment (
    id            bigserial PRIMARY KEY,
    topic_id      bigint NOT NULL REFERENCES topic (id),
    step_id       bigint NOT NULL REFERENCES topic_step (id),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type  text NOT NULL CHECK (content_type IN (
                      'image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    bytes         integer NOT NULL CHECK (bytes > 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS topic_attachment_topic_idx ON topic_attachment (topic_id);
CREATE INDEX IF NOT EXISTS topic_attachment_step_idx ON topic_attachment (step_id);

-- Opinions: residents through the public page (name and contact optional and private),
-- demands linked to the topic, and staff entries.
CREATE TABLE IF NOT EXISTS topic_opinion (
    id            bigserial PRIMARY KEY,
    topic_id      bigint NOT NULL REFERENCES topic (id),
    source        text NOT NULL CHECK (source IN ('public', 'demand', 'staff')),
    body          text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 2000),
    author_name   text CHECK (length(author_name) <= 50),
    author_contact text CHECK (length(author_contact) <= 100),
    author_user_id bigint REFERENCES app_user (id),
    demand_id     bigint UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'demand') = (demand_id IS NOT NULL)),
    CHECK (source <> 'staff' OR author_user_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS topic_opinion_topic_idx ON topic_opinion (topic_id, id);
CREATE INDEX IF NOT EXISTS topic_opinion_user_idx ON topic_opinion (author_user_id);

-- Who took part in the deliberation.
CREATE TABLE IF NOT EXISTS topic_participant (
    id            bigserial PRIMARY KEY,
    topic_id      bigint NOT NULL REFERENCES topic (id),
    kind          text NOT NULL CHECK (kind IN ('resident_rep', 'unit', 'department')),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100)
);
CREATE INDEX IF NOT EXISTS topic_participant_topic_idx ON topic_participant (topic_id);

-- Follow-up tasks decided in deliberation: an owner (a staff member, or a unit or
-- department by name), a deadline, done when done_at is set; case_id once it became a case.
CREATE TABLE IF NOT EXISTS topic_task (
    id            bigserial PRIMARY KEY,
    topic_id      bigint NOT NULL REFERENCES topic (id),
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    owner_person_id bigint REFERENCES person (id),
    owner_name    text CHECK (length(owner_name) <= 100),
    deadline_at   timestamptz NOT NULL,
    done_at       timestamptz,
    case_id       bigint REFERENCES case_file (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (owner_person_id IS NOT NULL OR owner_name IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS topic_task_topic_idx ON topic_task (topic_id);
CREATE INDEX IF NOT EXISTS topic_task_owner_idx ON topic_task (owner_person_id);
CREATE INDEX IF NOT EXISTS topic_task_case_idx ON topic_task (case_id);
CREATE INDEX IF NOT EXISTS topic_task_deadline_idx ON topic_task (deadline_at);

-- demand.topic_id -> topic, and topic_opinion.demand_id -> demand, once the demands list
-- (sql/210) exists; it is applied before this file on a clean database.
DO $$
BEGIN
    IF to_regclass('demand') IS NOT NULL THEN
        ALTER TABLE demand DROP CONSTRAINT IF EXISTS demand_topic_id_fkey;
        ALTER TABLE demand ADD CONSTRAINT demand_topic_id_fkey
            FOREIGN KEY (topic_id) REFERENCES topic (id);
        CREATE INDEX IF NOT EXISTS demand_topic_idx ON demand (topic_id);
        ALTER TABLE topic_opinion DROP CONSTRAINT IF EXISTS topic_opinion_demand_id_fkey;
        ALTER TABLE topic_opinion ADD CONSTRAINT topic_opinion_demand_id_fkey
            FOREIGN KEY (demand_id) REFERENCES demand (id);
    END IF;
END $$;
