-- Household and red-household totals over the viewer's top areas (districts for the city).
SELECT coalesce(sum(a.households), 0)::int AS households,
       coalesce(sum(a.colour_counts[1]), 0)::int AS red
FROM area a
WHERE a.retired_at IS NULL
  AND CASE WHEN :citywide THEN a.level = 1 ELSE a.code = ANY(CAST(:codes AS text[])) END
