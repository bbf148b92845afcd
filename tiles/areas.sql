-- Areas of one level as polygons: code, name, households and five-colour counts
-- (aggregates, never personal data). Clipped to the tile (plus its buffer) in WGS 84
-- first, so a large district costs only its part in this tile, then simplified to half
-- a pixel at the tile's zoom (:tolerance metres) before ST_AsMVTGeom quantises it.
-- Params: z, x, y, margin, extent, buffer, tolerance, level, layer.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), feats AS (
    SELECT a.code, a.name, a.households,
           a.colour_counts[1] AS red, a.colour_counts[2] AS orange, a.colour_counts[3] AS yellow,
           a.colour_counts[4] AS blue, a.colour_counts[5] AS green,
           ST_AsMVTGeom(
               ST_SimplifyPreserveTopology(
                   ST_Transform(ST_ClipByBox2D(a.geom, env.e4326), 3857), :tolerance),
               env.e3857, :extent, :buffer, true) AS geom
    FROM area_current a, env
    WHERE a.level = :level AND a.geom && env.e4326
)
SELECT ST_AsMVT(feats.*, :layer, :extent, 'geom') FROM feats WHERE geom IS NOT NULL
