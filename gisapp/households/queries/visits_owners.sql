-- The people who own a household's visits: an active duty, on :day, in a role its
-- colour names, on the household's area or an ancestor of it.
SELECT DISTINCT p.id AS person_id, p.name, p.phone, d.role, r.name_zh AS role_zh,
       a.code AS duty_area
FROM household h
JOIN area ha ON ha.id = h.area_id
JOIN five_colour f ON f.colour = h.colour
JOIN duty d ON d.role = ANY(f.owner_roles)
           AND d.starts_on <= CAST(:day AS date) AND (d.ends_on IS NULL OR d.ends_on >= CAST(:day AS date))
JOIN area a ON a.id = d.area_id AND ha.code LIKE a.code || '%'
JOIN person p ON p.id = d.person_id AND p.active
JOIN staff_role r ON r.role = d.role
WHERE h.id = :id
ORDER BY d.role, p.id
