-- The offline base map: four MVT layers in one tile (concatenated MVT layers are one
-- valid tile), drawn by the styles at /styles/base-light.json and base-dark.json.
--   water     (name, kind)   every zoom; polygons simplified to half a pixel
--   roads     (name, class)  主干路/快速路 from z5, 次干路 from z11, 支路 from z13
--   buildings ()             from z14; footprints only (a point building is not drawn)
--   places    (name, level)  area names at ST_PointOnSurface: districts to z12,
--                            streets z11-14, communities from z13 (never households)
-- Params: z, x, y, margin, extent, buffer, tolerance.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), water AS (
    SELECT w.name, w.kind,
           ST_AsMVTGeom(ST_SimplifyPreserveTopology(
               ST_Transform(ST_ClipByBox2D(w.geom, env.e4326), 3857), :tolerance),
               env.e3857, :extent, :buffer, true) AS geom
    FROM water w, env
    WHERE w.geom && env.e4326
), roads AS (
    SELECT r.name, r.class,
           ST_AsMVTGeom(ST_Simplify(ST_Transform(r.geom, 3857), :tolerance),
                        env.e3857, :extent, :buffer, true) AS geom
    FROM road r, env
    WHERE r.geom && env.e4326
      AND (r.class IN ('快速路', '主干路') OR (r.class = '次干路' AND :z >= 11) OR :z >= 13)
), buildings AS (
    SELECT ST_AsMVTGeom(ST_Transform(b.geom, 3857), env.e3857, :extent, :buffer, true) AS geom
    FROM building b, env
    WHERE :z >= 14 AND b.geom && env.e4326 AND GeometryType(b.geom) <> 'POINT'
), places AS (
    SELECT a.name, a.level,
           ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(a.geom), 3857),
                        env.e3857, :extent, :buffer, true) AS geom
    FROM area_current a, env
    WHERE a.geom && env.e4326
      AND ((a.level = 1 AND :z <= 12) OR (a.level = 2 AND :z BETWEEN 11 AND 14)
           OR (a.level = 3 AND :z >= 13))
)
SELECT coalesce((SELECT ST_AsMVT(water.*, 'water', :extent, 'geom') FROM water WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(roads.*, 'roads', :extent, 'geom') FROM roads WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(buildings.*, 'buildings', :extent, 'geom')
                 FROM buildings WHERE geom IS NOT NULL), '')
    || coalesce((SELECT ST_AsMVT(places.*, 'places', :extent, 'geom') FROM places WHERE geom IS NOT NULL), '')
