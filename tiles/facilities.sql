-- Service facilities as points (the public sees only is_public ones), clustered in
-- pixel space like cases when a tile would hold more than :max_points.
-- Params: z, x, y, margin, extent, buffer, layer, staff, cell, fallback_cell, max_points.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), pts AS (
    SELECT f.id, f.kind, k.name_zh AS kind_zh, f.name, ST_Transform(f.geom, 3857) AS g
    FROM facility f JOIN facility_kind k ON k.kind = f.kind, env
    WHERE f.geom && env.e4326 AND (:staff OR f.is_public)
), mode AS (
    SELECT tile_cluster_size(:cell, count(*), :max_points, :fallback_cell) AS cell FROM pts
), members AS (
    SELECT p.*, tile_cluster_cell(p.g, p.id, m.cell) AS cell_xy     -- sql/240_tile_clusters.sql
    FROM pts p, mode m, env
    WHERE m.cell = 0 OR tile_holds(env.e3857, p.g)
), groups AS (
    SELECT ST_Centroid(ST_Collect(g)) AS g,
           count(*)::int AS count,
           count(*) > 1 AS cluster,
           CASE WHEN count(*) = 1 THEN min(id) END AS id,
           CASE WHEN count(*) = 1 THEN min(kind) END AS kind,
           CASE WHEN count(*) = 1 THEN min(kind_zh) END AS kind_zh,
           CASE WHEN count(*) = 1 THEN min(name) END AS name
    FROM members
    GROUP BY cell_xy
), feats AS (
    SELECT groups.*, ST_AsMVTGeom(groups.g, env.e3857, :extent, :buffer, true) AS geom
    FROM groups, env
)
SELECT ST_AsMVT(f, :layer, :extent, 'geom')
FROM (SELECT id, kind, kind_zh, name, count, cluster, geom FROM feats WHERE geom IS NOT NULL) f
