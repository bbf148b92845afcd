INSERT INTO topic (level, area_id, area_code, building_id, title, body, public_token, geom,
                   created_by_user_id, created_at)
VALUES (:level, :area_id, :area_code, :building_id, :title, :body, :token,
        ST_GeomFromEWKT(:point), :user_id, :at)
RETURNING id
