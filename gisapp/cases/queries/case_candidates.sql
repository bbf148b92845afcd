-- The people a case may be dispatched to (gisapp/case_people.py): everyone with a current
-- duty inside the dispatcher's jurisdiction (:patterns), each once, those on duty for
-- the case's own area (their duty area is the case's area or one of its ancestors)
-- first, nearest area first, then by role rank and name. :person narrows to one person.
WITH duties AS (
    SELECT DISTINCT ON (p.id)
           p.id AS person_id, p.name, d.role, sr.name_zh AS role_zh, sr.rank,
           a.id AS area_id, a.code AS area_code, a.level,
           (CAST(:case_area AS text) IS NOT NULL AND CAST(:case_area AS text) LIKE a.code || '%') AS on_duty
    FROM duty d
    JOIN person p ON p.id = d.person_id AND p.active
    JOIN area a ON a.id = d.area_id AND a.retired_at IS NULL
    JOIN staff_role sr ON sr.role = d.role
    WHERE d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
      AND a.code LIKE ANY(CAST(:patterns AS text[]))
      AND (CAST(:person AS bigint) IS NULL OR p.id = CAST(:person AS bigint))
    ORDER BY p.id,
             (CAST(:case_area AS text) IS NOT NULL AND CAST(:case_area AS text) LIKE a.code || '%') DESC,
             a.level DESC, sr.rank
)
SELECT person_id, name, role, role_zh, area_code, area_path(area_id) AS area_path, on_duty
FROM duties
ORDER BY on_duty DESC, CASE WHEN on_duty THEN -level END, rank, name, person_id
LIMIT :limit
