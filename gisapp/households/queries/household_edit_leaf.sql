SELECT a.id, a.code FROM area a
                WHERE a.id = locate_leaf(ST_SetSRID(ST_MakePoint(:lng, :lat), 4326))
