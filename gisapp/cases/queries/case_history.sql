-- A case's history, oldest first, naming people as a colleague would: "张三（网格员）"
-- (the person behind the account, or the account's display name, and the role's name),
-- "公众（匿名）" for a public report, the stored name for an event without an account
-- (generated data); the person a dispatch chose, likewise.
SELECT e.id, e.at, e.actor_name, e.action, e.from_state, e.to_state, e.note, e.detail,
       CASE WHEN u.id IS NOT NULL
                THEN coalesce(p.name, u.display_name) || '（' || coalesce(r.name_zh, u.role) || '）'
            WHEN e.action = 'report' THEN '公众（匿名）'
            ELSE coalesce(e.actor_name, '系统') END AS actor,
       ap.name || coalesce('（' || ar.name_zh || '）', '') AS assignee,
       CASE WHEN e.detail ? 'area_id' THEN area_path(CAST(e.detail ->> 'area_id' AS bigint)) END AS area_path,
       (SELECT count(*) FROM case_photo ph WHERE ph.event_id = e.id) AS photos
FROM case_event e
LEFT JOIN app_user u ON u.id = e.actor_user_id
LEFT JOIN person p ON p.id = u.person_id
LEFT JOIN app_role r ON r.role = u.role
LEFT JOIN person ap ON ap.id = CAST(e.detail ->> 'assignee_person_id' AS bigint)
LEFT JOIN LATERAL (
    SELECT sr.name_zh FROM duty d JOIN staff_role sr ON sr.role = d.role
    WHERE d.person_id = ap.id AND d.starts_on <= current_date
      AND (d.ends_on IS NULL OR d.ends_on >= current_date)
    ORDER BY sr.rank DESC LIMIT 1) ar ON true
WHERE e.case_id = :id
ORDER BY e.id
