-- Which areas' people on duty changed, and when: the lookup index (gisapp/spatial_index.py)
-- reloads only those areas' duties instead of the whole city's (~140,000 rows) after an
-- edit. Rows older than a day are pruned by the live listener's housekeeping.
CREATE TABLE IF NOT EXISTS duty_change (
    id      bigserial PRIMARY KEY,
    area_id bigint NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS duty_change_at_idx ON duty_change (at);

CREATE OR REPLACE FUNCTION duty_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'person' THEN
        INSERT INTO duty_change (area_id)
        SELECT DISTINCT d.area_id FROM duty d JOIN changed_rows c ON c.id = d.person_id;
    ELSE
        INSERT INTO duty_change (area_id) SELECT DISTINCT area_id FROM changed_rows;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS duty_change_ins ON duty;
CREATE TRIGGER duty_change_ins AFTER INSERT ON duty REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION duty_change_log();
DROP TRIGGER IF EXISTS duty_change_upd_new ON duty;
CREATE TRIGGER duty_change_upd_new AFTER UPDATE ON duty REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION duty_change_log();
DROP TRIGGER IF EXISTS duty_change_upd_old ON duty;
CREATE TRIGGER duty_change_upd_old AFTER UPDATE ON duty REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION duty_change_log();
DROP TRIGGER IF EXISTS duty_change_del ON duty;
CREATE TRIGGER duty_change_del AFTER DELETE ON duty REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION duty_change_log();
DROP TRIGGER IF EXISTS duty_change_person ON person;
CREATE TRIGGER duty_change_person AFTER UPDATE ON person REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION duty_change_log();
