-- Cases reported and closed since :day_start, among those the viewer may see.
SELECT (count(*) FILTER (WHERE c.reported_at >= :day_start))::int AS reported_today,
       (count(*) FILTER (WHERE c.closed_at >= :day_start))::int AS closed_today
FROM case_file c
WHERE {visible} AND (c.reported_at >= :day_start OR c.closed_at >= :day_start)
