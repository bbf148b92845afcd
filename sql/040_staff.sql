-- People on staff and their duties toward areas.

CREATE TABLE IF NOT EXISTS staff_role (
    role    text PRIMARY KEY,
    name_zh text NOT NULL,
    rank    smallint NOT NULL
);
INSERT INTO staff_role (role, name_zh, rank) VALUES
    ('district_supervisor',  '区级主管',     10),
    ('street_secretary',     '街道党工委书记', 20),
    ('community_secretary',  '社区书记',     30),
    ('community_worker',     '社区工作者',   40),
    ('grid_leader',          '网格长',       50),
    ('grid_worker',          '网格员',       60),
    ('info_officer',         '网格信息员',   70),
    ('party_member',         '党员',         80),
    ('volunteer',            '志愿者',       85),
    ('building_head',        '楼栋长',       90),
    ('unit_head',            '单元长',       95)
ON CONFLICT (role) DO NOTHING;

CREATE TABLE IF NOT EXISTS person (
    id     bigserial PRIMARY KEY,
    name   text NOT NULL CHECK (length(btrim(name)) > 0),
    phone  text CHECK (phone IS NULL OR phone ~ '^[0-9+\- ]{5,20}$'),
    active boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS duty (
    id        bigserial PRIMARY KEY,
    person_id bigint NOT NULL REFERENCES person (id),
    area_id   bigint NOT NULL REFERENCES area (id),
    role      text NOT NULL REFERENCES staff_role (role),
    starts_on date NOT NULL DEFAULT current_date,
    ends_on   date,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX IF NOT EXISTS duty_area_idx ON duty (area_id);
CREATE INDEX IF NOT EXISTS duty_person_idx ON duty (person_id);

DROP TRIGGER IF EXISTS duty_bump_trg ON duty;
CREATE TRIGGER duty_bump_trg AFTER INSERT OR UPDATE OR DELETE ON duty
    FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('staff');
DROP TRIGGER IF EXISTS person_bump_trg ON person;
CREATE TRIGGER person_bump_trg AFTER INSERT OR UPDATE OR DELETE ON person
    FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('staff');
