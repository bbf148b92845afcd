-- Overdue coloured households inside :prefix and the viewer's :patterns, as points for
-- a supervisor's map (only for those entitled to see households in person).
SELECT h.id, f.key AS colour, a.code AS area_code, a.name AS area_name,
       ST_X(h.geom) AS lng, ST_Y(h.geom) AS lat, h.last_visit_at,
       household_due_on(f.cadence, h.last_visit_at, h.colour_since) AS due_on
FROM household h
JOIN area a ON a.id = h.area_id
JOIN five_colour f ON f.colour = h.colour
WHERE a.code LIKE :prefix || '%' AND a.code LIKE ANY(CAST(:patterns AS text[]))
  AND household_due_on(f.cadence, h.last_visit_at, h.colour_since) < CAST(:day AS date)
ORDER BY due_on, h.id
LIMIT :limit
