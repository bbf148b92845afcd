-- A run's results with their items as {indicator: {numerator, denominator, value,
-- original_value}}, best first, for the subjects inside :patterns (NULL: all).
SELECT r.subject, r.label, r.area_code, r.score, r.rank, r.grade,
       jsonb_object_agg(i.indicator, jsonb_build_object(
           'numerator', i.numerator, 'denominator', i.denominator, 'value', i.value,
           'original_value', i.original_value)) AS items
FROM assessment_result r
JOIN assessment_item i ON i.run_id = r.run_id AND i.subject = r.subject
WHERE r.run_id = :run
  AND (CAST(:patterns AS text[]) IS NULL OR r.area_code LIKE ANY(CAST(:patterns AS text[])))
GROUP BY r.subject, r.label, r.area_code, r.score, r.rank, r.grade
ORDER BY r.rank NULLS LAST, r.subject
