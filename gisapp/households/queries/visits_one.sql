SELECT v.id, v.client_id, v.household_id, v.person_id, p.name AS person, u.username,
       v.visited_at, v.recorded_at, v.outcome, o.name_zh AS outcome_zh, o.completes, v.note,
       v.colour, v.area_code, ST_X(v.geom) AS lng, ST_Y(v.geom) AS lat, v.accuracy_m,
       round(v.distance_m::numeric, 1)::float8 AS distance_m, v.flagged_far, v.needs_review,
       v.photo_sha256 IS NOT NULL AS has_photo, v.case_id
FROM visit v JOIN visit_outcome o ON o.key = v.outcome
LEFT JOIN person p ON p.id = v.person_id LEFT JOIN app_user u ON u.id = v.user_id
WHERE v.id = :id
