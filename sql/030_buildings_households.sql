-- Buildings (footprint polygon or a point) and the households inside them.

CREATE TABLE IF NOT EXISTS building (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    address    text,
    units      smallint NOT NULL DEFAULT 1 CHECK (units BETWEEN 1 AND 99),
    floors     smallint CHECK (floors BETWEEN 1 AND 200),
    geom       geometry(Geometry, 4326) NOT NULL
               CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
                      AND ST_IsValid(geom)),
    -- The building's leaf area, by the locate rule applied to its point on surface.
    area_id    bigint REFERENCES area (id)
);
CREATE INDEX IF NOT EXISTS building_geom_idx ON building USING gist (geom);
CREATE INDEX IF NOT EXISTS building_area_idx ON building (area_id);

CREATE TABLE IF NOT EXISTS five_colour (
    colour     smallint PRIMARY KEY CHECK (colour BETWEEN 1 AND 5),
    key        text NOT NULL UNIQUE,
    name_zh    text NOT NULL,
    cadence    interval NOT NULL,
    owner_roles text[] NOT NULL
);
INSERT INTO five_colour (colour, key, name_zh, cadence, owner_roles) VALUES
    (1, 'red',    '红', interval '1 day',    ARRAY['community_secretary', 'community_worker']),
    (2, 'orange', '橙', interval '7 days',   ARRAY['grid_leader']),
    (3, 'yellow', '黄', interval '15 days',  ARRAY['grid_worker']),
    (4, 'blue',   '蓝', interval '1 month',  ARRAY['party_member', 'volunteer']),
    (5, 'green',  '绿', interval '3 months', ARRAY['building_head', 'unit_head'])
ON CONFLICT (colour) DO NOTHING;

CREATE TABLE IF NOT EXISTS household (
    id          bigserial PRIMARY KEY,
    building_id bigint REFERENCES building (id),
    unit        smallint CHECK (unit BETWEEN 1 AND 99),
    room        text,
    head_name   text,
    phone       text CHECK (phone IS NULL OR phone ~ '^[0-9+\- ]{5,20}$'),
    members     smallint CHECK (members BETWEEN 1 AND 50),
    colour      smallint REFERENCES five_colour (colour),
    tags        text[] NOT NULL DEFAULT '{}',
    geom        geometry(Point, 4326) NOT NULL,
    area_id     bigint REFERENCES area (id)
);
CREATE INDEX IF NOT EXISTS household_geom_idx ON household USING gist (geom);
CREATE INDEX IF NOT EXISTS household_area_idx ON household (area_id);
CREATE INDEX IF NOT EXISTS household_building_idx ON household (building_id);
CREATE INDEX IF NOT EXISTS household_colour_idx ON household (colour) WHERE colour IS NOT NULL;
