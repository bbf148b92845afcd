-- The area hierarchy: district -> street -> community -> grid -> micro-grid.
-- `area` is the stable identity (its code never changes); `area_version` holds
-- each version of its boundary. The current version has valid_to IS NULL.

CREATE TABLE IF NOT EXISTS area_level (
    level   smallint PRIMARY KEY,
    key     text NOT NULL UNIQUE,
    name_zh text NOT NULL,
    code_length smallint NOT NULL
);
INSERT INTO area_level (level, key, name_zh, code_length) VALUES
    (1, 'district',  '区',     6),
    (2, 'street',    '街道',   9),
    (3, 'community', '社区',   12),
    (4, 'grid',      '网格',   15),
    (5, 'microgrid', '微网格', 18)
ON CONFLICT (level) DO NOTHING;

CREATE TABLE IF NOT EXISTS area (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[0-9]+$'),
    level        smallint NOT NULL REFERENCES area_level (level),
    parent_id    bigint REFERENCES area (id),
    name         text NOT NULL CHECK (length(btrim(name)) > 0),
    office_name  text,
    office_phone text,
    households   integer NOT NULL DEFAULT 0 CHECK (households >= 0),
    -- Cached counts per colour (index 1..5 = red..green): aggregates, never personal data.
    colour_counts integer[] NOT NULL DEFAULT '{0,0,0,0,0}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz,
    CHECK ((level = 1) = (parent_id IS NULL))
);
CREATE INDEX IF NOT EXISTS area_parent_idx ON area (parent_id);
CREATE INDEX IF NOT EXISTS area_code_prefix_idx ON area (code text_pattern_ops);
CREATE INDEX IF NOT EXISTS area_level_idx ON area (level) WHERE retired_at IS NULL;

-- A child's code extends its parent's code, and the child sits one level below.
CREATE OR REPLACE FUNCTION area_check_code() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p area%ROWTYPE;
    want smallint;
BEGIN
    SELECT code_length INTO want FROM area_level WHERE level = NEW.level;
    IF length(NEW.code) <> want THEN
        RAISE EXCEPTION 'area code % must have % digits at level %', NEW.code, want, NEW.level
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT * INTO p FROM area WHERE id = NEW.parent_id;
        IF p.level <> NEW.level - 1 OR left(NEW.code, length(p.code)) <> p.code THEN
            RAISE EXCEPTION 'area code % does not extend parent code %', NEW.code, p.code
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS area_check_code_trg ON area;
CREATE TRIGGER area_check_code_trg BEFORE INSERT OR UPDATE OF code, parent_id, level ON area
    FOR EACH ROW EXECUTE FUNCTION area_check_code();

CREATE TABLE IF NOT EXISTS area_version (
    id         bigserial PRIMARY KEY,
    area_id    bigint NOT NULL REFERENCES area (id),
    version    integer NOT NULL CHECK (version > 0),
    geom       geometry(MultiPolygon, 4326) NOT NULL
               CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_to   timestamptz,
    author     text NOT NULL DEFAULT 'system',
    reason     text NOT NULL DEFAULT '',
    UNIQUE (area_id, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from),
    -- Versions of one area never overlap in time: at most one is current.
    EXCLUDE USING gist (area_id WITH =, tstzrange(valid_from, valid_to) WITH &&)
);
CREATE INDEX IF NOT EXISTS area_version_geom_idx ON area_version USING gist (geom);
CREATE INDEX IF NOT EXISTS area_version_current_geom_idx ON area_version USING gist (geom)
    WHERE valid_to IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS area_version_one_current ON area_version (area_id)
    WHERE valid_to IS NULL;

-- Cache generations: every change to boundaries (or to staff, see 040) bumps a
-- counter, so in-memory indexes in every worker know to refresh, and a NOTIFY wakes
-- anyone listening.
CREATE TABLE IF NOT EXISTS cache_generation (
    name       text PRIMARY KEY,
    generation bigint NOT NULL DEFAULT 0
);
INSERT INTO cache_generation (name) VALUES ('boundaries'), ('staff') ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE name = TG_ARGV[0];
    PERFORM pg_notify('gisapp_' || TG_ARGV[0], '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS area_version_bump_trg ON area_version;
CREATE TRIGGER area_version_bump_trg AFTER INSERT OR UPDATE OR DELETE ON area_version
    FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('boundaries');
-- Only columns the lookup index shows: counting households (refresh_area_counts,
-- adjust_area_counts) must not make every worker rebuild its index.
DROP TRIGGER IF EXISTS area_bump_trg ON area;
CREATE TRIGGER area_bump_trg
    AFTER INSERT OR DELETE OR UPDATE OF code, level, parent_id, name, office_name, office_phone,
                                        retired_at
    ON area FOR EACH STATEMENT EXECUTE FUNCTION bump_generation('boundaries');

-- What queries see by default: the current boundary of each live area.
CREATE OR REPLACE VIEW area_current AS
SELECT a.id, a.code, a.level, a.parent_id, a.name, a.office_name, a.office_phone,
       a.households, v.id AS version_id, v.version, v.valid_from, v.geom, a.colour_counts
FROM area a
JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
WHERE a.retired_at IS NULL;

-- Boundaries as they stood at a moment (for cases reported in the past).
CREATE OR REPLACE FUNCTION area_at(t timestamptz)
RETURNS TABLE (id bigint, code text, level smallint, parent_id bigint, name text,
               version integer, geom geometry)
LANGUAGE sql STABLE AS $$
    SELECT a.id, a.code, a.level, a.parent_id, a.name, v.version, v.geom
    FROM area a
    JOIN area_version v ON v.area_id = a.id
    WHERE v.valid_from <= t AND (v.valid_to IS NULL OR v.valid_to > t)
$$;
