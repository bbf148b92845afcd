SELECT d.area_id, p.id AS person_id, p.name, p.phone, d.role, r.name_zh AS role_zh
FROM duty d JOIN person p ON p.id = d.person_id JOIN staff_role r ON r.role = d.role
WHERE p.active AND d.starts_on <= current_date
  AND (d.ends_on IS NULL OR d.ends_on >= current_date)
ORDER BY d.area_id, r.rank, p.name COLLATE "C", p.id
