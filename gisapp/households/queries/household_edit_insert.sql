INSERT INTO household (building_id, unit, room, head_name, phone, members, colour, tags,
                       geom, area_id)
VALUES (:building_id, :unit, :room, :head_name, :phone, :members, :colour,
        CAST(:tags AS text[]), ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :area_id)
RETURNING id
