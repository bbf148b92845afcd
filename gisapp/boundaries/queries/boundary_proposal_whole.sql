-- An area's whole boundary as GeoJSON (a proposal's only part when it has one place).
SELECT ST_AsGeoJSON(geom, 15)::json FROM area_current WHERE code = :code
