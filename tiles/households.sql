-- Five-colour households: counts per area of :level at the area's point on surface
-- (areas shallower than :level that have no children count as their own leaf, so no
-- household is left out), and, only where :patterns (the viewer's household-duty
-- jurisdiction, as LIKE patterns; empty for everyone else) covers an area, individual
-- points instead of that area's counts. More than :max_points points in the tile: the
-- whole tile stays aggregated. Colour counts are exact only inside :counted (the viewer's
-- duty); elsewhere small ones read '<5' and there is no breakdown below the community
-- (sql/190_small_counts.sql).
-- Params: z, x, y, margin, extent, buffer, layer, level, patterns, counted, small, max_points.
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), pts AS (
    SELECT h.id, h.colour, ST_Transform(h.geom, 3857) AS g
    FROM household h JOIN area a ON a.id = h.area_id, env
    WHERE cardinality(CAST(:patterns AS text[])) > 0
      AND h.geom && env.e4326 AND a.code LIKE ANY(CAST(:patterns AS text[]))
    LIMIT :max_points + 1
), use_points AS (
    SELECT count(*) > 0 AND count(*) <= :max_points AS ok FROM pts
), areas AS (
    SELECT a.code, a.name, a.level, a.households, a.colour_counts,
           ST_Transform(ST_PointOnSurface(a.geom), 3857) AS g
    FROM area_current a, env, use_points u
    WHERE a.geom && env.e4326
      AND (a.level = :level OR (a.level < :level AND NOT EXISTS (
               SELECT 1 FROM area k WHERE k.parent_id = a.id AND k.retired_at IS NULL)))
      AND NOT (u.ok AND a.code LIKE ANY(CAST(:patterns AS text[])))
), feats AS (
    SELECT ST_AsMVTGeom(p.g, env.e3857, :extent, :buffer, true) AS geom,
           p.id, p.colour::int AS colour,
           NULL::text AS code, NULL::text AS name, NULL::int AS households,
           '{}'::jsonb AS colours
    FROM pts p, env, use_points u
    WHERE u.ok
    UNION ALL
    SELECT ST_AsMVTGeom(a.g, env.e3857, :extent, :buffer, true),
           NULL, NULL, a.code, a.name, a.households,
           shown_colours(a.colour_counts, a.level,
                         a.code LIKE ANY(CAST(:counted AS text[])), :small)
    FROM areas a, env
)
SELECT ST_AsMVT(feats.*, :layer, :extent, 'geom') FROM feats WHERE geom IS NOT NULL
