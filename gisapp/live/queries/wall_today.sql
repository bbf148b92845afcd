-- Cases reported and closed since :day_start, among those the viewer may see; and the
-- red households (current colour) in the viewer's :patterns visited since :day_start
-- by a completing visit (table visit, sql/110).
SELECT (count(*) FILTER (WHERE c.reported_at >= :day_start))::int AS reported_today,
       (count(*) FILTER (WHERE c.closed_at >= :day_start))::int AS closed_today,
       (SELECT count(DISTINCT v.household_id)
        FROM visit v
        JOIN visit_outcome o ON o.key = v.outcome AND o.completes
        JOIN household h ON h.id = v.household_id AND h.colour = 1
        WHERE v.visited_at >= :day_start
          AND v.area_code LIKE ANY(CAST(:patterns AS text[])))::int AS red_visits_done
FROM case_file c
WHERE {visible} AND (c.reported_at >= :day_start OR c.closed_at >= :day_start)
