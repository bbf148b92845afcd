INSERT INTO road (name, class, source, geom) VALUES (:name, :class, :source, ST_GeomFromEWKB(decode(:geom, 'hex')))
