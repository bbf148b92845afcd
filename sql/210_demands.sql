-- The demands list (民意诉求清单): what residents ask for, gathered on visits, from the
-- public page and by staff; grouped when similar; each ends as a case, a consultation
-- topic, an answer or a reasoned refusal. Re-runnable: every statement is idempotent.

-- Text similarity for grouping similar demands (trigram similarity of their texts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS demand_category (
    key     text PRIMARY KEY CHECK (key ~ '^[a-z_]{2,40}$'),
    name_zh text NOT NULL,
    -- The case category a demand of this kind becomes when it is turned into a case.
    case_category text REFERENCES case_category (key),
    sort    smallint NOT NULL DEFAULT 0
);
INSERT INTO demand_category (key, name_zh, case_category, sort) VALUES
    ('elderly_care',   '养老助老',     NULL,            1),
    ('environment',    '环境卫生',     'rubbish',       2),
    ('parking',        '停车管理',     'parking',       3),
    ('facilities',     '公共设施维修', 'street_light',  4),
    ('property',       '物业服务',     'property_dispute', 5),
    ('heating',        '供暖供水',     NULL,            6),
    ('safety',         '治安消防',     'fire_exit',     7),
    ('greening',       '绿化美化',     NULL,            8),
    ('policy',         '政策咨询',     NULL,            9),
    ('other',          '其他',         NULL,            10)
ON CONFLICT (key) DO NOTHING;

CREATE TABLE IF NOT EXISTS demand (
    id            bigserial PRIMARY KEY,
    -- The public's code to follow the demand without an account (never guessable).
    receipt       text NOT NULL UNIQUE CHECK (receipt ~ '^[A-Z0-9]{10}$'),
    -- A phone's id for this demand: a retry from the offline outbox never stores two.
    client_id     text UNIQUE CHECK (client_id ~ '^[A-Za-z0-9_.:-]{8,64}$'),
    category      text NOT NULL REFERENCES demand_category (key),
    body          text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 2000),
    geom          geometry(Point, 4326) NOT NULL,
    -- The leaf area when raised (NULL = outside every area); prefix semantics as
    -- case_file.area_code: a community's demands are those whose code starts with its code.
    area_id       bigint REFERENCES area (id),
    area_code     text,
    source        text NOT NULL CHECK (source IN ('visit', 'public', 'staff')),
    visit_id      bigint REFERENCES visit (id),
    raised_by_user_id bigint REFERENCES app_user (id),
    -- Private: shown only to staff with a duty in the demand's area, never to the public.
    reporter_name text CHECK (length(reporter_name) <= 50),
    reporter_contact text CHECK (length(reporter_contact) <= 100),
    -- Similar demands: the id of the group's first demand (its own id when it is first).
    group_id      bigint REFERENCES demand (id),
    state         text NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'case', 'topic', 'answered', 'declined')),
    case_id       bigint REFERENCES case_file (id),
    topic_id      bigint,
    answer        text CHECK (length(answer) <= 2000),
    decline_reason text CHECK (length(decline_reason) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    deadline_at   timestamptz NOT NULL,
    closed_at     timestamptz,
    version       integer NOT NULL DEFAULT 1,
    CHECK ((source = 'visit') = (visit_id IS NOT NULL)),
    CHECK ((state = 'open') = (closed_at IS NULL)),
    CHECK (state <> 'case' OR case_id IS NOT NULL),
    CHECK (state <> 'topic' OR topic_id IS NOT NULL),
    CHECK (state <> 'answered' OR coalesce(btrim(answer), '') <> ''),
    CHECK (state <> 'declined' OR coalesce(btrim(decline_reason), '') <> '')
);
CREATE INDEX IF NOT EXISTS demand_geom_idx ON demand USING gist (geom);
CREATE INDEX IF NOT EXISTS demand_area_code_idx ON demand (area_code text_pattern_ops);
CREATE INDEX IF NOT EXISTS demand_created_idx ON demand (created_at);
CREATE INDEX IF NOT EXISTS demand_state_idx ON demand (state, deadline_at);
CREATE INDEX IF NOT EXISTS demand_group_idx ON demand (group_id);
CREATE INDEX IF NOT EXISTS demand_visit_idx ON demand (visit_id);
CREATE INDEX IF NOT EXISTS demand_case_idx ON demand (case_id);
CREATE INDEX IF NOT EXISTS demand_topic_idx ON demand (topic_id);
CREATE INDEX IF NOT EXISTS demand_body_trgm_idx ON demand USING gist (body gist_trgm_ops);

-- Every transition: who, when, from what state to what, with a note.
CREATE TABLE IF NOT EXISTS demand_event (
    id            bigserial PRIMARY KEY,
    demand_id     bigint NOT NULL REFERENCES demand (id),
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES app_user (id),
    action        text NOT NULL,
    from_state    text,
    to_state      text NOT NULL,
    note          text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS demand_event_demand_idx ON demand_event (demand_id, id);
CREATE INDEX IF NOT EXISTS demand_event_actor_idx ON demand_event (actor_user_id);

-- Visit outcomes that offer to record a demand on the field page (a visit may record one
-- with any outcome; these open the form for it).
ALTER TABLE visit_outcome ADD COLUMN IF NOT EXISTS suggests_demand boolean NOT NULL DEFAULT false;
UPDATE visit_outcome SET suggests_demand = true WHERE key = 'needs_help' AND NOT suggests_demand;
