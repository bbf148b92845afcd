-- The wall's per-area case counts (tiles/case_areas.sql) change wherever a case's
-- district is: a changed case records its district's outline in tile_dirty under the
-- group 'case_areas', which drops the cached count tiles of that district (every band's
-- area lies inside its district). A trigger of its own, beside those of 090_tiles.sql.
-- The list of groups is also written in 150_basemap.sql: a file that changes it must
-- name every group (the last file applied wins).
ALTER TABLE tile_dirty DROP CONSTRAINT IF EXISTS tile_dirty_grp_check;
ALTER TABLE tile_dirty ADD CONSTRAINT tile_dirty_grp_check CHECK (grp IN (
    'cases', 'hazard_areas', 'areas', 'households', 'facilities', 'basemap', 'case_areas'));

CREATE OR REPLACE FUNCTION tile_dirty_case_areas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tile_dirty_record('case_areas', ARRAY(
        SELECT v.geom FROM area a JOIN area_version v ON v.area_id = a.id AND v.valid_to IS NULL
        WHERE a.code IN (SELECT left(area_code, 6) FROM new_rows)));
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS case_file_case_areas_ins ON case_file;
CREATE TRIGGER case_file_case_areas_ins AFTER INSERT ON case_file
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_case_areas();
DROP TRIGGER IF EXISTS case_file_case_areas_upd ON case_file;
CREATE TRIGGER case_file_case_areas_upd AFTER UPDATE ON case_file
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_case_areas();
