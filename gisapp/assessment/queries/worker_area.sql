-- A worker's narrowest duty area: the data behind their score lie inside it.
SELECT a.code FROM duty d JOIN area a ON a.id = d.area_id
WHERE d.person_id = :p ORDER BY length(a.code) DESC LIMIT 1
