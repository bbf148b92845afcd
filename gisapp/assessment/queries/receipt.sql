-- What a public reporter's receipt code shows: the case's state and area, and the
-- satisfaction link once it is closed (token, expiry, whether it was used).
SELECT c.id, c.state, c.reported_at, c.closed_at, cc.name_zh AS category_zh,
       area_path(c.area_code) AS area_path,
       i.token, i.expires_at, i.used_at, i.expires_at <= now() AS expired
FROM case_receipt r
JOIN case_file c ON c.id = r.case_id
JOIN case_category cc ON cc.key = c.category
LEFT JOIN satisfaction_invite i ON i.case_id = c.id
WHERE r.code = :code
