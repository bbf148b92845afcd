SELECT id, at, username, role, action, target, detail, ip, method, path
FROM audit_log
WHERE (CAST(:user AS text) IS NULL OR username = :user)
  AND (CAST(:action AS text) IS NULL OR action LIKE :action || '%')
  AND (CAST(:since AS timestamptz) IS NULL OR at >= CAST(:since AS timestamptz))
ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset
