-- Coloured households inside :prefix (and the viewer's :patterns) that no active
-- duty of an owning role covers: flagged for supervisors, never silently skipped.
-- A household's owner may hold a duty on its leaf or any ancestor, so the candidate
-- duty areas are exactly the prefixes of the household's leaf code.
SELECT h.id, h.colour, f.key AS colour_key, f.name_zh AS colour_zh, f.owner_roles,
       a.code AS area_code, a.name AS area_name, ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat,
       household_due_on(f.cadence, h.last_visit_at, h.colour_since) AS due_on
FROM household h
JOIN area a ON a.id = h.area_id
JOIN five_colour f ON f.colour = h.colour
WHERE a.code LIKE :prefix || '%' AND a.code LIKE ANY(CAST(:patterns AS text[]))
  AND NOT EXISTS (
      SELECT 1 FROM duty d JOIN area da ON da.id = d.area_id JOIN person p ON p.id = d.person_id
      WHERE d.role = ANY(f.owner_roles) AND p.active
        AND da.code IN (SELECT left(a.code, n) FROM unnest(ARRAY[6, 9, 12, 15, 18]) n
                        WHERE n <= length(a.code))
        AND d.starts_on <= CAST(:day AS date) AND (d.ends_on IS NULL OR d.ends_on >= CAST(:day AS date)))
ORDER BY a.code, h.id
LIMIT :limit
