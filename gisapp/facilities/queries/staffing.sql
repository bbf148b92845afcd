-- Staffing per area at one level: cached household counts, and the distinct people on a
-- current duty of :worker_role and of info_officer anywhere in the area (itself or below).
WITH staff AS (
    SELECT left(a.code, :len) AS code, d.role, d.person_id
    FROM duty d
    JOIN area a ON a.id = d.area_id
    JOIN person p ON p.id = d.person_id
    WHERE a.retired_at IS NULL AND p.active
      AND a.code LIKE :prefix || '%' AND length(a.code) >= :len
      AND d.role IN (:worker_role, 'info_officer')
      AND d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
)
SELECT t.code, t.name, area_path(t.id) AS path, t.households,
       count(DISTINCT s.person_id) FILTER (WHERE s.role = :worker_role)::int AS workers,
       count(DISTINCT s.person_id) FILTER (WHERE s.role = 'info_officer')::int AS info_officers
FROM area t
LEFT JOIN staff s ON s.code = t.code
WHERE t.retired_at IS NULL AND t.level = :level AND t.code LIKE :prefix || '%'
GROUP BY t.id, t.code, t.name, t.households
ORDER BY t.code
