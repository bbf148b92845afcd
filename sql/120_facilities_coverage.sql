-- Facilities, coverage ("15-minute life circle") and staffing: indexes. Re-runnable.
--
-- Nearest-facility and coverage queries measure in metres on geography. A GiST index on
-- (kind, geom::geography) answers "facilities of this kind within d metres of a point"
-- and KNN ordering (<->) straight from the index, without casting every facility.
CREATE INDEX IF NOT EXISTS facility_kind_geog_idx
    ON facility USING gist (kind, (geom::geography));
CREATE INDEX IF NOT EXISTS facility_area_idx ON facility (area_id);
