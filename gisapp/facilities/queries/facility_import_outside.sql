SELECT count(*) FROM facility WHERE id = ANY(:ids) AND area_id IS NULL
