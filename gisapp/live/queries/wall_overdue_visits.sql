-- Five-colour households whose next visit (household_due_on, sql/110) is before today,
-- counted per leaf area and rolled up to the code prefix of the level asked for, inside
-- the viewer's jurisdiction. Counts only: the wall never shows which home is overdue.
WITH leaf AS (
    SELECT h.area_id, count(*)::int AS overdue
    FROM household h JOIN five_colour f ON f.colour = h.colour
    WHERE h.colour IS NOT NULL
      AND household_due_on(f.cadence, h.last_visit_at, h.colour_since) < CAST(:today AS date)
    GROUP BY h.area_id
)
SELECT left(a.code, :code_length) AS code, sum(l.overdue)::int AS overdue_visits
FROM leaf l JOIN area a ON a.id = l.area_id
WHERE a.code LIKE ANY(CAST(:patterns AS text[])) AND length(a.code) >= :code_length
GROUP BY 1
