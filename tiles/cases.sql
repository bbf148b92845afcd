-- Active cases as points or pixel-space clusters (see layers.toml for the rule per zoom).
-- {visible} is one of the fixed fragments of gisapp.cases.visibility_sql, never user text.
-- Params: z, x, y, margin, extent, buffer, layer, kind (NULL = every kind), hidden_states,
-- clock_states, cell (cluster cell in metres, 0 = individual), fallback_cell, max_points.
-- Returns the tile and `expires_at`: the next deadline among the tile's running clocks,
-- when an `overdue` flag flips by time alone (the cache keeps the tile until then).
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), pts AS (
    SELECT c.id, c.state, c.kind, c.category,
           -- The deadline has passed while the clock runs (a suspended clock stopped then).
           (c.state = ANY(CAST(:clock_states AS text[])) AND c.deadline_at IS NOT NULL
            AND coalesce(c.suspended_at, now()) > c.deadline_at) AS overdue,
           CASE WHEN c.state = ANY(CAST(:clock_states AS text[])) AND c.suspended_at IS NULL
                     AND c.deadline_at > now() THEN c.deadline_at END AS flips_at,
           ST_Transform(c.geom, 3857) AS g
    FROM case_file c, env
    WHERE c.geom && env.e4326 AND {visible}
      AND c.state <> ALL(CAST(:hidden_states AS text[]))
      AND (CAST(:kind AS text) IS NULL OR c.kind = CAST(:kind AS text))
), mode AS (
    SELECT tile_cluster_size(:cell, count(*), :max_points, :fallback_cell) AS cell FROM pts
), members AS (
    -- Clusters take only the tile's own points, so each case is counted in exactly one
    -- tile; single points keep the buffer (sql/240_tile_clusters.sql).
    SELECT p.*, m.cell, tile_cluster_cell(p.g, p.id, m.cell) AS cell_xy
    FROM pts p, mode m, env
    WHERE m.cell = 0 OR tile_holds(env.e3857, p.g)
), groups AS (
    -- A cluster sits at the centre of its cell, so two clusters are always at least a
    -- cell apart and symbols under half a cell wide never overlap; a single case keeps
    -- its own position.
    SELECT CASE WHEN count(*) > 1 THEN tile_cell_centre(cell_xy, min(cell))
                ELSE ST_Centroid(ST_Collect(g)) END AS g,
           count(*)::int AS count,
           (count(*) FILTER (WHERE overdue))::int AS overdue_count,
           count(*) > 1 AS cluster,
           CASE WHEN count(*) = 1 THEN min(id) END AS id,
           CASE WHEN count(*) = 1 THEN min(state) END AS state,
           CASE WHEN count(*) = 1 THEN min(kind) END AS kind,
           CASE WHEN count(*) = 1 THEN min(category) END AS category,
           CASE WHEN count(*) = 1 THEN bool_or(overdue) END AS overdue
    FROM members
    GROUP BY cell_xy
), feats AS (
    SELECT groups.*, ST_AsMVTGeom(groups.g, env.e3857, :extent, :buffer, true) AS geom
    FROM groups, env
)
SELECT (SELECT ST_AsMVT(f, :layer, :extent, 'geom')
        FROM (SELECT id, state, kind, category, overdue, count, overdue_count, cluster, geom
              FROM feats WHERE geom IS NOT NULL) f) AS tile,
       (SELECT min(flips_at) FROM pts) AS expires_at
