-- The working set of one boundary save: every area it may touch, at every level below the
-- parent, with its old and its new boundary. Gone when the transaction ends.
CREATE TEMP TABLE boundary_plan (
    key         serial PRIMARY KEY,
    level       smallint NOT NULL,
    parent_id   bigint NOT NULL,
    area_id     bigint,                 -- NULL until a new area is created
    code        text,
    name        text NOT NULL,
    old_name    text,
    old_version integer,
    old_geom    geometry,               -- NULL for a new area
    geom        geometry,               -- NULL for an area being retired
    source_id   bigint,                 -- the old area a derived new area was cut from
    submitted   integer,                -- position in the request (top level only)
    fixed       boolean NOT NULL DEFAULT false,   -- submitted with its boundary unchanged
    action      text NOT NULL CHECK (action IN ('keep', 'version', 'create', 'retire', 'resurrect'))
) ON COMMIT DROP
