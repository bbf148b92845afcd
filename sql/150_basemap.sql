-- The offline base map: roads and water, drawn with the buildings and the area names as
-- the vector tile layer `base` (tiles/base.sql). Roads come from the demo generator
-- (gisapp/demo_roads.py) or from `gisapp import roads FILE` (an OpenStreetMap extract,
-- a survey office's road centre lines).
--
-- Road classes are those of China's urban road standard (GB 50220 / CJJ 37):
-- 快速路 expressway, 主干路 arterial, 次干路 secondary, 支路 minor.

CREATE TABLE IF NOT EXISTS road (
    id     bigserial PRIMARY KEY,
    name   text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100),
    class  text NOT NULL CHECK (class IN ('快速路', '主干路', '次干路', '支路')),
    -- Where the row came from ('demo', or the file name of an import).
    source text NOT NULL DEFAULT 'import',
    geom   geometry(LineString, 4326) NOT NULL CHECK (ST_NPoints(geom) >= 2)
);
CREATE INDEX IF NOT EXISTS road_geom_idx ON road USING gist (geom);

CREATE TABLE IF NOT EXISTS water (
    id     bigserial PRIMARY KEY,
    name   text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100),
    kind   text NOT NULL CHECK (kind IN ('sea', 'river', 'lake')),
    source text NOT NULL DEFAULT 'import',
    geom   geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX IF NOT EXISTS water_geom_idx ON water USING gist (geom);

-- A new change group, 'basemap': roads, water and buildings. (The area names the base
-- map shows are invalidated by the 'areas' group, as for the area layers.)
ALTER TABLE tile_dirty DROP CONSTRAINT IF EXISTS tile_dirty_grp_check;
ALTER TABLE tile_dirty ADD CONSTRAINT tile_dirty_grp_check
    CHECK (grp IN ('cases', 'hazard_areas', 'areas', 'households', 'facilities', 'basemap',
                   'case_areas'));   -- case_areas: the wall's case counts (160_wall_case_areas.sql)

-- The three statement triggers (insert, update, delete) that record a table's changed
-- geometries under a tile change group, written once. Identifiers go through format's %I.
CREATE OR REPLACE FUNCTION tile_dirty_watch(tbl text, grp text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_tiles_ins', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms(%L)',
                   tbl || '_tiles_ins', tbl, grp);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_tiles_upd', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms(%L)',
                   tbl || '_tiles_upd', tbl, grp);
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', tbl || '_tiles_del', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_geoms(%L)',
                   tbl || '_tiles_del', tbl, grp);
END $$;

SELECT tile_dirty_watch('road', 'basemap');
SELECT tile_dirty_watch('water', 'basemap');
SELECT tile_dirty_watch('building', 'basemap');
