-- A satisfaction link: its case and whether it is used or expired.
SELECT i.case_id, i.expires_at, i.used_at, i.expires_at <= now() AS expired,
       cc.name_zh AS category_zh, c.closed_at
FROM satisfaction_invite i JOIN case_file c ON c.id = i.case_id
JOIN case_category cc ON cc.key = c.category
WHERE i.token = :t
