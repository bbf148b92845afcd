-- A resident's answer given on a visit (once per visit).
INSERT INTO satisfaction (source, visit_id, area_code, person_id, score, comment, at)
SELECT 'visit', v.id, v.area_code, v.person_id, :score, :comment, v.visited_at
FROM visit v WHERE v.id = :id
ON CONFLICT (visit_id) DO NOTHING
RETURNING id, visit_id, score, at
