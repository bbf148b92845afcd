-- A new building at a point, in the leaf area there, with the review's attributes.
INSERT INTO building (name, address, geom, area_id, managed, management_company, standalone, built_year)
VALUES (:name, :address, ST_SetSRID(ST_MakePoint(:lng, :lat), 4326),
        locate_leaf(ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)), :managed, :company, :standalone, :year)
