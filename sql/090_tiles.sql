-- Vector tile invalidation: every change that alters what a tile shows records the
-- region it touched in `tile_dirty` (a WGS 84 bbox and a group naming the kind of data),
-- and NOTIFYs 'gisapp_tiles' with the row's id. Each server process applies the rows
-- after the last id it has seen to its memory and disk caches (gisapp/tile_cache.py),
-- so invalidation works across worker processes; the id doubles as a generation.
--
-- Groups: 'cases' (case points), 'hazard_areas' (the street of a hazard: the public's
-- per-area hazard counts sit at the area's point on surface, not at the case),
-- 'areas' (boundaries, names and cached household counts), 'households', 'facilities'.
--
-- Statement-level triggers with transition tables keep bulk loads cheap: up to
-- tile_dirty_exact_rows() changed rows are recorded one region each (exact); beyond
-- that the statement records one region, the extent of everything it changed.

CREATE TABLE IF NOT EXISTS tile_dirty (
    id   bigserial PRIMARY KEY,
    at   timestamptz NOT NULL DEFAULT now(),
    grp  text NOT NULL CHECK (grp IN ('cases', 'hazard_areas', 'areas', 'households', 'facilities')),
    minx float8 NOT NULL,
    miny float8 NOT NULL,
    maxx float8 NOT NULL,
    maxy float8 NOT NULL
);
CREATE INDEX IF NOT EXISTS tile_dirty_at_idx ON tile_dirty (at);

CREATE OR REPLACE FUNCTION tile_dirty_exact_rows() RETURNS integer LANGUAGE sql IMMUTABLE AS
$$ SELECT 50 $$;

-- Record one region per distinct box of a few geometries (exact invalidation).
CREATE OR REPLACE FUNCTION tile_dirty_record(grp text, geoms geometry[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    SELECT DISTINCT grp, ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)
    FROM unnest(geoms) AS g WHERE g IS NOT NULL;
    GET DIAGNOSTICS added = ROW_COUNT;
    IF added > 0 THEN
        PERFORM pg_notify('gisapp_tiles', currval('tile_dirty_id_seq')::text);
    END IF;
END $$;

-- Record one region for a bulk change: the extent of everything it touched.
CREATE OR REPLACE FUNCTION tile_dirty_extent(grp text, e box2d) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF e IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO tile_dirty (grp, minx, miny, maxx, maxy)
    VALUES (grp, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e));
    PERFORM pg_notify('gisapp_tiles', currval('tile_dirty_id_seq')::text);
END $$;

-- The triggers below count first and only then build an array, so a bulk COPY of
-- millions of rows costs one extent, never an array of millions of geometries.

-- Cases: the old and new point, and for hazards the street around them (few streets
-- even for a bulk load, so those are always recorded one by one).
CREATE OR REPLACE FUNCTION tile_dirty_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (SELECT count(*) FROM new_rows) <= tile_dirty_exact_rows() THEN
            PERFORM tile_dirty_record('cases', ARRAY(SELECT geom FROM new_rows));
        ELSE
            PERFORM tile_dirty_extent('cases', (SELECT ST_Extent(geom) FROM new_rows));
        END IF;
        -- Most reports are not hazards: the street lookup only when one is.
        IF EXISTS (SELECT 1 FROM new_rows WHERE kind = 'hazard') THEN
            PERFORM tile_dirty_record('hazard_areas', ARRAY(
                SELECT v.geom FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
                WHERE a.code IN (SELECT left(area_code, 9) FROM new_rows WHERE kind = 'hazard')));
        END IF;
    ELSE
        IF (SELECT count(*) FROM new_rows) <= tile_dirty_exact_rows() THEN
            PERFORM tile_dirty_record('cases', ARRAY(
                SELECT geom FROM new_rows UNION SELECT geom FROM old_rows));
        ELSE
            PERFORM tile_dirty_extent('cases', (SELECT ST_Extent(geom) FROM (
                SELECT geom FROM new_rows UNION ALL SELECT geom FROM old_rows) g));
        END IF;
        IF EXISTS (SELECT 1 FROM new_rows WHERE kind = 'hazard')
                OR EXISTS (SELECT 1 FROM old_rows WHERE kind = 'hazard') THEN
            PERFORM tile_dirty_record('hazard_areas', ARRAY(
                SELECT v.geom FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
                WHERE a.code IN (SELECT left(area_code, 9) FROM new_rows WHERE kind = 'hazard'
                                 UNION SELECT left(area_code, 9) FROM old_rows WHERE kind = 'hazard')));
        END IF;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS case_file_tiles_ins ON case_file;
CREATE TRIGGER case_file_tiles_ins AFTER INSERT ON case_file
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_cases();
DROP TRIGGER IF EXISTS case_file_tiles_upd ON case_file;
CREATE TRIGGER case_file_tiles_upd AFTER UPDATE ON case_file
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_cases();

-- Boundaries, households and facilities: the box of every row inserted, changed (old and
-- new) or deleted, for the group named by the trigger's argument.
CREATE OR REPLACE FUNCTION tile_dirty_geoms() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO n FROM new_rows;
        IF n <= tile_dirty_exact_rows() THEN
            PERFORM tile_dirty_record(TG_ARGV[0], ARRAY(SELECT geom FROM new_rows));
        ELSE
            PERFORM tile_dirty_extent(TG_ARGV[0], (SELECT ST_Extent(geom) FROM new_rows));
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT count(*) INTO n FROM new_rows;
        IF n <= tile_dirty_exact_rows() THEN
            PERFORM tile_dirty_record(TG_ARGV[0], ARRAY(
                SELECT geom FROM new_rows UNION SELECT geom FROM old_rows));
        ELSE
            PERFORM tile_dirty_extent(TG_ARGV[0], (SELECT ST_Extent(geom) FROM (
                SELECT geom FROM new_rows UNION ALL SELECT geom FROM old_rows) g));
        END IF;
    ELSE
        SELECT count(*) INTO n FROM old_rows;
        IF n <= tile_dirty_exact_rows() THEN
            PERFORM tile_dirty_record(TG_ARGV[0], ARRAY(SELECT geom FROM old_rows));
        ELSE
            PERFORM tile_dirty_extent(TG_ARGV[0], (SELECT ST_Extent(geom) FROM old_rows));
        END IF;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS area_version_tiles_ins ON area_version;
CREATE TRIGGER area_version_tiles_ins AFTER INSERT ON area_version REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('areas');
DROP TRIGGER IF EXISTS area_version_tiles_upd ON area_version;
CREATE TRIGGER area_version_tiles_upd AFTER UPDATE ON area_version
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('areas');
DROP TRIGGER IF EXISTS area_version_tiles_del ON area_version;
CREATE TRIGGER area_version_tiles_del AFTER DELETE ON area_version REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('areas');

DROP TRIGGER IF EXISTS household_tiles_ins ON household;
CREATE TRIGGER household_tiles_ins AFTER INSERT ON household REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('households');
DROP TRIGGER IF EXISTS household_tiles_upd ON household;
CREATE TRIGGER household_tiles_upd AFTER UPDATE ON household
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('households');
DROP TRIGGER IF EXISTS household_tiles_del ON household;
CREATE TRIGGER household_tiles_del AFTER DELETE ON household REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('households');

DROP TRIGGER IF EXISTS facility_tiles_ins ON facility;
CREATE TRIGGER facility_tiles_ins AFTER INSERT ON facility REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('facilities');
DROP TRIGGER IF EXISTS facility_tiles_upd ON facility;
CREATE TRIGGER facility_tiles_upd AFTER UPDATE ON facility
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('facilities');
DROP TRIGGER IF EXISTS facility_tiles_del ON facility;
CREATE TRIGGER facility_tiles_del AFTER DELETE ON facility REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms('facilities');

-- Areas: only rows whose shown attributes changed (name, counts, retirement) count, so a
-- refresh_area_counts() that changes nothing invalidates nothing. (Its first statement
-- zeroes every count and the loop restores them, so a real refresh invalidates the
-- extent of the areas it touched, once per statement: coarse, but refreshes are rare.)
CREATE OR REPLACE FUNCTION tile_dirty_areas() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM new_rows nw JOIN old_rows o ON o.id = nw.id
    WHERE (nw.name, nw.households, nw.colour_counts, nw.retired_at, nw.level, nw.code)
          IS DISTINCT FROM (o.name, o.households, o.colour_counts, o.retired_at, o.level, o.code);
    IF n = 0 THEN
        RETURN NULL;
    ELSIF n <= tile_dirty_exact_rows() THEN
        PERFORM tile_dirty_record('areas', ARRAY(
            SELECT v.geom FROM new_rows nw JOIN old_rows o ON o.id = nw.id
            JOIN area_version v ON v.area_id = nw.id AND v.valid_to IS NULL
            WHERE (nw.name, nw.households, nw.colour_counts, nw.retired_at, nw.level, nw.code)
                  IS DISTINCT FROM (o.name, o.households, o.colour_counts, o.retired_at, o.level, o.code)));
    ELSE
        PERFORM tile_dirty_extent('areas', (
            SELECT ST_Extent(v.geom) FROM new_rows nw JOIN old_rows o ON o.id = nw.id
            JOIN area_version v ON v.area_id = nw.id AND v.valid_to IS NULL
            WHERE (nw.name, nw.households, nw.colour_counts, nw.retired_at, nw.level, nw.code)
                  IS DISTINCT FROM (o.name, o.households, o.colour_counts, o.retired_at, o.level, o.code)));
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS area_tiles_upd ON area;
CREATE TRIGGER area_tiles_upd AFTER UPDATE ON area
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_areas();
