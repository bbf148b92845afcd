-- Which areas changed, and when: the lookup index (gisapp/spatial_index.py) re-reads only
-- those rows of area_current instead of the whole city's after a boundary edit. Only
-- columns the index shows count (household counting updates areas all day long).
-- Rows older than a day are pruned by the live listener's housekeeping.
CREATE TABLE IF NOT EXISTS area_change (
    id      bigserial PRIMARY KEY,
    area_id bigint NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS area_change_at_idx ON area_change (at);

CREATE OR REPLACE FUNCTION area_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'area' THEN
        INSERT INTO area_change (area_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        INSERT INTO area_change (area_id)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.area_id ELSE NEW.area_id END);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS area_change_trg ON area;
CREATE TRIGGER area_change_trg
    AFTER INSERT OR DELETE OR UPDATE OF code, level, parent_id, name, office_name, office_phone,
                                        retired_at
    ON area FOR EACH ROW EXECUTE FUNCTION area_change_log();
DROP TRIGGER IF EXISTS area_version_change_trg ON area_version;
CREATE TRIGGER area_version_change_trg AFTER INSERT OR UPDATE OR DELETE ON area_version
    FOR EACH ROW EXECUTE FUNCTION area_change_log();
