-- Areas of one level as polygons: code, name, households and five-colour counts
-- (aggregates, never personal data; small counts hidden and no breakdown below the
-- community outside :counted, the viewer's duty, see sql/190_small_counts.sql). Clipped to the tile (plus its buffer) in WGS 84
-- first, so a large district costs only its part in this tile, then simplified to half
-- a pixel at the tile's zoom (:tolerance metres) before ST_AsMVTGeom quantises it.
-- Params: z, x, y, margin, extent, buffer, tolerance, level, layer, counted, small.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), feats AS (
    SELECT a.code, a.name, a.households,
           -- jsonb: ST_AsMVT makes each key a property (red .. green; none when hidden).
           shown_colours(a.colour_counts, a.level,
                         a.code LIKE ANY(CAST(:counted AS text[])), :small) AS colours,
           ST_AsMVTGeom(
               ST_SimplifyPreserveTopology(
                   ST_Transform(ST_ClipByBox2D(a.geom, env.e4326), 3857), :tolerance),
               env.e3857, :extent, :buffer, true) AS geom
    FROM area_current a, env
    WHERE a.level = :level AND a.geom && env.e4326
)
SELECT ST_AsMVT(feats.*, :layer, :extent, 'geom') FROM feats WHERE geom IS NOT NULL
