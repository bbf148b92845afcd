-- Service facilities.

CREATE TABLE IF NOT EXISTS facility_kind (
    kind    text PRIMARY KEY,
    name_zh text NOT NULL
);
INSERT INTO facility_kind (kind, name_zh) VALUES
    ('elderly_canteen',      '老年食堂'),
    ('elderly_day_care',     '老年日间照料中心'),
    ('child_care',           '儿童课后托管'),
    ('clinic',               '社区卫生服务站'),
    ('rehabilitation',       '康复中心'),
    ('swap_station',         '换电站'),
    ('party_mass_centre',    '党群服务中心'),
    ('gov_service_station',  '政务服务驿站'),
    ('mediation_room',       '调解室'),
    ('reasoning_point',      '评理说事点'),
    ('legal_service_point',  '法治超市'),
    ('counselling_room',     '心理咨询室'),
    ('grid_parlour',         '网格会客厅')
ON CONFLICT (kind) DO NOTHING;

CREATE TABLE IF NOT EXISTS facility (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL REFERENCES facility_kind (kind),
    name          text NOT NULL CHECK (length(btrim(name)) > 0),
    address       text,
    phone         text,
    capacity      integer CHECK (capacity >= 0),
    opening_hours text,
    is_public     boolean NOT NULL DEFAULT true,
    geom          geometry(Point, 4326) NOT NULL,
    area_id       bigint REFERENCES area (id)
);
CREATE INDEX IF NOT EXISTS facility_geom_idx ON facility USING gist (geom);
CREATE INDEX IF NOT EXISTS facility_kind_idx ON facility (kind);
