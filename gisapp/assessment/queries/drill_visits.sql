-- The completing visits of a subject's households in the period (for those with a duty
-- toward them: a household's colour is personal data).
SELECT v.id, v.household_id, v.visited_at, v.colour, v.outcome, o.name_zh AS outcome_zh,
       v.area_code, p.name AS worker
FROM visit v
JOIN visit_outcome o ON o.key = v.outcome AND o.completes
LEFT JOIN person p ON p.id = v.person_id
WHERE v.visited_at >= CAST(:from_ts AS timestamptz) AND v.visited_at < CAST(:to_ts AS timestamptz)
  AND v.area_code LIKE :scope || '%'
  AND {subject}
ORDER BY v.visited_at, v.id
LIMIT 5000
