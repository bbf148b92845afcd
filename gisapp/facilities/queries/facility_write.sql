-- Insert or update one facility (:id NULL inserts); its leaf area follows its point.
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326) AS geom),
ins AS (
    INSERT INTO facility (kind, name, address, phone, capacity, opening_hours, is_public,
                          geom, area_id)
    SELECT :kind, :name, :address, :phone, :capacity, :opening_hours, :is_public,
           pt.geom, locate_leaf(pt.geom)
    FROM pt WHERE CAST(:id AS bigint) IS NULL
    RETURNING id
),
upd AS (
    UPDATE facility f
    SET kind = :kind, name = :name, address = :address, phone = :phone,
        capacity = :capacity, opening_hours = :opening_hours, is_public = :is_public,
        geom = pt.geom, area_id = locate_leaf(pt.geom)
    FROM pt WHERE f.id = CAST(:id AS bigint)
    RETURNING f.id
)
SELECT id FROM ins UNION ALL SELECT id FROM upd
