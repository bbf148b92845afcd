-- Cases: incidents, disputes and hazard reports, and their closed loop (GB/T 30428 style).

CREATE TABLE IF NOT EXISTS case_category (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z_]{2,40}$'),
    name_zh     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('incident', 'dispute', 'hazard')),
    -- Time limit from dispatch to handled, in working hours.
    limit_hours numeric(6, 1) NOT NULL CHECK (limit_hours > 0),
    -- Who handles it: the grid worker on duty, or a named department.
    routing     text NOT NULL CHECK (routing IN ('grid', 'department')),
    department  text,
    public      boolean NOT NULL DEFAULT false,   -- offered on the public report page
    CHECK ((routing = 'department') = (department IS NOT NULL))
);
INSERT INTO case_category (key, name_zh, kind, limit_hours, routing, department, public) VALUES
    ('gas',                  '燃气隐患',       'hazard',   2,  'department', '燃气集团',     true),
    ('fire_exit',            '消防通道堵塞',   'hazard',   8,  'grid',       NULL,           true),
    ('building_safety',      '房屋安全隐患',   'hazard',   16, 'department', '住建局',       true),
    ('electric_hazard',      '私拉电线充电',   'hazard',   8,  'grid',       NULL,           true),
    ('falling_object',       '高空坠物隐患',   'hazard',   8,  'grid',       NULL,           true),
    ('sewage',               '污水外溢',       'incident', 16, 'department', '排水公司',     true),
    ('illegal_construction', '违章建筑',       'incident', 40, 'department', '城管执法局',   true),
    ('parking',              '乱停乱放',       'incident', 8,  'grid',       NULL,           true),
    ('rubbish',              '垃圾堆放',       'incident', 8,  'grid',       NULL,           true),
    ('road_damage',          '道路破损',       'incident', 24, 'department', '市政公司',     true),
    ('street_light',         '路灯损坏',       'incident', 24, 'department', '市政公司',     true),
    ('noise',                '噪声扰民',       'incident', 8,  'grid',       NULL,           true),
    ('family_dispute',       '家庭纠纷',       'dispute',  24, 'grid',       NULL,           false),
    ('neighbour_dispute',    '邻里纠纷',       'dispute',  24, 'grid',       NULL,           false),
    ('labour_dispute',       '劳资纠纷',       'dispute',  40, 'department', '人社局',       false),
    ('property_dispute',     '物业纠纷',       'dispute',  40, 'grid',       NULL,           false)
ON CONFLICT (key) DO NOTHING;

-- Calendar exceptions: public holidays (is_workday = false) and make-up working days
-- (调休, is_workday = true on a weekend). Other days follow Monday..Friday.
CREATE TABLE IF NOT EXISTS work_calendar (
    day        date PRIMARY KEY,
    is_workday boolean NOT NULL,
    note       text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS case_file (
    id            bigserial PRIMARY KEY,
    client_id     text UNIQUE CHECK (client_id ~ '^[A-Za-z0-9_.:-]{8,64}$'),
    kind          text NOT NULL CHECK (kind IN ('incident', 'dispute', 'hazard')),
    category      text NOT NULL REFERENCES case_category (key),
    description   text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    contact       text CHECK (length(contact) <= 100),
    reporter_user_id bigint REFERENCES app_user (id),
    reporter_kind text NOT NULL CHECK (reporter_kind IN ('public', 'staff')),
    geom          geometry(Point, 4326) NOT NULL,
    reported_at   timestamptz NOT NULL DEFAULT now(),
    -- The areas as the boundaries stood when the case was reported (NULL = unassigned).
    area_id       bigint REFERENCES area (id),
    area_code     text,
    ambiguous     boolean NOT NULL DEFAULT false,
    assignee_person_id bigint REFERENCES person (id),
    department    text,
    state         text NOT NULL DEFAULT 'reported' CHECK (state IN (
                      'reported', 'registered', 'dispatched', 'in_progress', 'handled',
                      'verified', 'closed', 'evaluated', 'escalated', 'cancelled')),
    escalation_level text CHECK (escalation_level IN ('community', 'street')),
    dispatched_at timestamptz,
    deadline_at   timestamptz,
    handled_at    timestamptz,
    closed_at     timestamptz,
    suspended_at  timestamptz,
    rework_count  integer NOT NULL DEFAULT 0,
    cancel_reason text,
    merged_into   bigint REFERENCES case_file (id),
    duplicate_of  bigint[] NOT NULL DEFAULT '{}',
    evaluation    smallint CHECK (evaluation BETWEEN 1 AND 5),
    version       integer NOT NULL DEFAULT 1,
    CHECK (state <> 'cancelled' OR cancel_reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS case_file_geom_idx ON case_file USING gist (geom);
CREATE INDEX IF NOT EXISTS case_file_area_code_idx ON case_file (area_code text_pattern_ops);
CREATE INDEX IF NOT EXISTS case_file_state_idx ON case_file (state);
CREATE INDEX IF NOT EXISTS case_file_reported_idx ON case_file (reported_at);
CREATE INDEX IF NOT EXISTS case_file_category_idx ON case_file (category, reported_at);

-- Every transition, replayable: who, when, from what state to what, with a note.
CREATE TABLE IF NOT EXISTS case_event (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES case_file (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_user_id bigint REFERENCES app_user (id),
    actor_name  text,
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    note        text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS case_event_case_idx ON case_event (case_id, id);

CREATE TABLE IF NOT EXISTS case_photo (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES case_file (id),
    event_id     bigint REFERENCES case_event (id),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes        integer NOT NULL CHECK (bytes > 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS case_photo_case_idx ON case_photo (case_id);

-- Every change to a case tells listeners (the map wall) its id and state; the payload
-- carries ids only, and is delivered when the transaction commits.
CREATE OR REPLACE FUNCTION case_file_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gisapp_cases', json_build_object(
        'id', NEW.id, 'state', NEW.state, 'version', NEW.version)::text);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS case_file_notify_trg ON case_file;
CREATE TRIGGER case_file_notify_trg AFTER INSERT OR UPDATE ON case_file
    FOR EACH ROW EXECUTE FUNCTION case_file_notify();
