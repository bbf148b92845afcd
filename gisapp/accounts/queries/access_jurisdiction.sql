SELECT DISTINCT a.code
FROM duty d JOIN area a ON a.id = d.area_id
WHERE d.person_id = :person AND a.retired_at IS NULL
  AND d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
ORDER BY a.code
