-- The public's hazards: open hazard reports counted per area of :level, as one point at
-- the area's ST_PointOnSurface with `hazards` (the count); areas with none are left out.
-- Params: z, x, y, margin, extent, buffer, layer, level, hidden_states.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), areas AS (
    SELECT a.code, a.name, ST_Transform(ST_PointOnSurface(a.geom), 3857) AS g
    FROM area_current a, env
    WHERE a.level = :level AND a.geom && env.e4326
), counted AS (
    -- A code-prefix range in text_pattern_ops order (~>=~, ~<~), so the area_code index
    -- serves it; ':' sorts right after '9'.
    SELECT a.code, a.name, a.g,
           (SELECT count(*) FROM case_file c
            WHERE c.area_code ~>=~ a.code AND c.area_code ~<~ (a.code || ':')
              AND c.kind = 'hazard' AND c.state <> ALL(CAST(:hidden_states AS text[])))::int AS hazards
    FROM areas a
), feats AS (
    SELECT code, name, hazards, ST_AsMVTGeom(g, env.e3857, :extent, :buffer, true) AS geom
    FROM counted, env
    WHERE hazards > 0
)
SELECT ST_AsMVT(feats.*, :layer, :extent, 'geom') FROM feats WHERE geom IS NOT NULL
