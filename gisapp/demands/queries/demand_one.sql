-- One demand as staff read it, with its category, area path and linked case's state.
SELECT d.id, d.receipt, d.client_id, d.category, c.name_zh AS category_zh, d.body,
       ST_X(d.geom) AS lng, ST_Y(d.geom) AS lat, d.area_code,
       area_path(d.area_id) AS area_path, d.source, d.visit_id, d.raised_by_user_id,
       u.username AS raised_by, d.reporter_name, d.reporter_contact, d.group_id,
       (SELECT count(*) FROM demand g WHERE g.group_id = d.group_id) AS group_size,
       d.state, d.case_id, cf.state AS case_state, d.topic_id, d.answer, d.decline_reason,
       d.created_at, d.deadline_at, d.closed_at, d.version,
       coalesce(d.closed_at, now()) > d.deadline_at AS overdue
FROM demand d
JOIN demand_category c ON c.key = d.category
LEFT JOIN app_user u ON u.id = d.raised_by_user_id
LEFT JOIN case_file cf ON cf.id = d.case_id
WHERE d.id = :id
