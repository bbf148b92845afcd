SELECT code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tol), 6)::json
FROM area_current WHERE code = ANY(:codes)
