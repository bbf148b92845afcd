-- The current boundaries of the communities in the jurisdiction, simplified for the plan's
-- map (about 10 m; the map shows decisions, not survey lines), as GeoJSON.
SELECT code, name, households,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.0001), 5)::json AS geometry
FROM area_current
WHERE level = 3 AND code LIKE ANY(:patterns)
ORDER BY code
