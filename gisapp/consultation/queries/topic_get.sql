-- One topic with its area's name and its point.
SELECT t.id, t.level, t.area_id, t.area_code, a.name AS area_name, t.building_id,
       b.name AS building_name, t.title, t.body, t.step, t.state, t.public_token,
       t.plan, t.announcement, t.minutes, t.decision, t.outcome, t.drop_reason,
       t.created_at, t.reported_at, t.version,
       ST_X(t.geom) AS lng, ST_Y(t.geom) AS lat
FROM topic t
JOIN area a ON a.id = t.area_id
LEFT JOIN building b ON b.id = t.building_id
WHERE t.id = :id
