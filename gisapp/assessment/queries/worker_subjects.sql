-- The workers assessed inside :scope: everyone with a duty of a worker's role in force
-- during the period on an area there; their area is the narrowest of those duties.
SELECT DISTINCT ON (d.person_id) d.person_id::text AS subject, a.code AS area_code,
       p.name AS label
FROM duty d
JOIN area a ON a.id = d.area_id
JOIN person p ON p.id = d.person_id
WHERE d.role = ANY(CAST(:roles AS text[]))
  AND d.starts_on <= CAST(:to_day AS date)
  AND (d.ends_on IS NULL OR d.ends_on >= CAST(:from_day AS date))
  AND a.code LIKE :scope || '%'
ORDER BY d.person_id, length(a.code) DESC, a.code
