SELECT code FROM area WHERE id = locate_leaf(ST_SetSRID(ST_MakePoint(:x, :y), 4326))
