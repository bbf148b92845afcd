-- Active cases counted per area of :level, for the wall's city view: each area as a
-- polygon with `cases` and `overdue` (a choropleth), and once more as a point at its
-- ST_PointOnSurface with `label = true` (the number), emitted only by the tile that holds
-- that point so the number is drawn once. Areas shallower than :level with no children
-- count as their own. {visible} is one of visibility_sql's fixed fragments.
-- Params: z, x, y, margin, extent, buffer, layer, level, tolerance, hidden_states,
-- clock_states (+ the visibility parameters).
WITH env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS e4326
), areas AS (
    SELECT a.code, a.name, a.geom FROM area_current a, env
    WHERE a.geom && env.e4326
      AND (a.level = :level OR (a.level < :level AND NOT EXISTS (
               SELECT 1 FROM area k WHERE k.parent_id = a.id AND k.retired_at IS NULL)))
), counted AS (
    -- A code-prefix range in text_pattern_ops order, so the area_code index serves it.
    SELECT a.*, n.cases, n.overdue
    FROM areas a CROSS JOIN LATERAL (
        SELECT count(*)::int AS cases,
               (count(*) FILTER (WHERE c.state = ANY(CAST(:clock_states AS text[]))
                                  AND c.deadline_at IS NOT NULL
                                  AND coalesce(c.suspended_at, now()) > c.deadline_at))::int AS overdue
        FROM case_file c
        WHERE c.area_code ~>=~ a.code AND c.area_code ~<~ (a.code || ':') AND {visible}
          AND c.state <> ALL(CAST(:hidden_states AS text[]))) n
), feats AS (
    SELECT code, name, cases, overdue, false AS label,
           ST_AsMVTGeom(ST_SimplifyPreserveTopology(
               ST_Transform(ST_ClipByBox2D(geom, env.e4326), 3857), :tolerance),
               env.e3857, :extent, :buffer, true) AS geom
    FROM counted, env
    UNION ALL
    SELECT code, name, cases, overdue, true,
           ST_AsMVTGeom(p, env.e3857, :extent, :buffer, true)
    FROM (SELECT counted.*, ST_Transform(ST_PointOnSurface(geom), 3857) AS p FROM counted) c, env
    WHERE ST_X(p) >= ST_XMin(env.e3857) AND ST_X(p) < ST_XMax(env.e3857)
      AND ST_Y(p) > ST_YMin(env.e3857) AND ST_Y(p) <= ST_YMax(env.e3857)
)
SELECT ST_AsMVT(feats.*, :layer, :extent, 'geom') FROM feats WHERE geom IS NOT NULL
