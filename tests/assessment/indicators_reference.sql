-- The straightforward reading of the case and satisfaction indicators, per community or
-- grid (:n digits of code) and period, that gisapp/assessment/ must agree with: every
-- area of the level, each case or answer matched by a plain prefix test.
SELECT a.code,
       count(c.id) FILTER (WHERE c.state IN ('closed', 'evaluated')) AS closed,
       count(c.id) FILTER (WHERE c.state NOT IN ('cancelled', 'reported')) AS registered,
       count(c.id) FILTER (WHERE c.state IN ('closed', 'evaluated')
                             AND c.handled_at <= c.deadline_at) AS on_time,
       count(c.id) FILTER (WHERE c.rework_count > 0) AS reworked,
       count(c.id) FILTER (WHERE c.handled_at IS NOT NULL
                             OR c.state IN ('closed', 'evaluated', 'handled', 'verified')) AS handled,
       (SELECT count(*) FROM satisfaction s
        WHERE s.area_code LIKE a.code || '%' AND s.score >= 4
          AND s.at >= CAST(:from_ts AS timestamptz) AND s.at < CAST(:to_ts AS timestamptz)) AS satisfied,
       (SELECT count(*) FROM satisfaction s
        WHERE s.area_code LIKE a.code || '%'
          AND s.at >= CAST(:from_ts AS timestamptz) AND s.at < CAST(:to_ts AS timestamptz)) AS answers
FROM area a
LEFT JOIN case_file c ON c.area_code LIKE a.code || '%' AND c.merged_into IS NULL
     AND c.reported_at >= CAST(:from_ts AS timestamptz) AND c.reported_at < CAST(:to_ts AS timestamptz)
WHERE length(a.code) = :n AND a.code LIKE :scope || '%'
GROUP BY a.code
ORDER BY a.code
