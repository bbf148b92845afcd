-- Residents' satisfaction per subject: answers given in [:from_ts, :to_ts) inside :scope,
-- and those satisfied (a score of 4 or 5).
SELECT {subject} AS subject,
       count(*) FILTER (WHERE s.score >= 4) AS satisfied,
       count(*) AS answers
FROM satisfaction s
WHERE s.at >= CAST(:from_ts AS timestamptz) AND s.at < CAST(:to_ts AS timestamptz)
  AND s.area_code LIKE :scope || '%'
  AND {subject} IS NOT NULL
GROUP BY 1
