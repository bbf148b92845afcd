-- The satisfaction answers behind a subject's figure.
SELECT s.id, s.source, s.case_id, s.visit_id, s.area_code, s.score, s.comment, s.at,
       s.score >= 4 AS satisfied
FROM satisfaction s
WHERE s.at >= CAST(:from_ts AS timestamptz) AND s.at < CAST(:to_ts AS timestamptz)
  AND s.area_code LIKE :scope || '%'
  AND {subject}
ORDER BY s.at, s.id
LIMIT 5000
