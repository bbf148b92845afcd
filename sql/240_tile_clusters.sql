-- Point clustering for the tile layers (tiles/cases.sql, tiles/facilities.sql), written
-- once. Plain SQL functions, IMMUTABLE: the planner inlines them into each tile query.

-- The cluster cell size for a tile, in Web Mercator metres: the layer's own `cell` at
-- the zooms that cluster; else `fallback` when the tile holds more than `max_points`
-- points; else 0 (every point on its own).
CREATE OR REPLACE FUNCTION tile_cluster_size(cell float8, points bigint, max_points int,
                                             fallback float8)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cell > 0 THEN cell WHEN points > max_points THEN fallback ELSE 0 END
$$;

-- The cell (column, row from the world's north-west corner) a point falls in, or, with
-- no clustering (cell 0), a cell of its own: (id, 0).
CREATE OR REPLACE FUNCTION tile_cluster_cell(g geometry, id bigint, cell float8)
RETURNS float8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cell > 0 THEN ARRAY[floor((ST_X(g) + 20037508.342789244) / cell),
                                         floor((20037508.342789244 - ST_Y(g)) / cell)]
                ELSE ARRAY[id::float8, 0] END
$$;

-- Whether a point (EPSG:3857) belongs to the tile envelope: half-open as tile addresses
-- are (west and north edges in, east and south out), so clustering counts each point in
-- exactly one tile.
CREATE OR REPLACE FUNCTION tile_holds(envelope geometry, g geometry)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_X(g) >= ST_XMin(envelope) AND ST_X(g) < ST_XMax(envelope)
       AND ST_Y(g) > ST_YMin(envelope) AND ST_Y(g) <= ST_YMax(envelope)
$$;

-- The centre of a cluster cell (EPSG:3857).
CREATE OR REPLACE FUNCTION tile_cell_centre(cell_xy float8[], cell float8)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_SetSRID(ST_MakePoint(-20037508.342789244 + (cell_xy[1] + 0.5) * cell,
                                   20037508.342789244 - (cell_xy[2] + 0.5) * cell), 3857)
$$;
