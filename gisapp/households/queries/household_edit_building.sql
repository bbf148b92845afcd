SELECT b.id, b.name, ST_X(ST_PointOnSurface(b.geom)) AS lng,
                           ST_Y(ST_PointOnSurface(b.geom)) AS lat
                    FROM building b WHERE b.id = :id
