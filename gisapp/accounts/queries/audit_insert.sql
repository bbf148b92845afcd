INSERT INTO audit_log (user_id, username, role, action, target, detail, ip, method, path)
VALUES (:uid, :uname, :role, :action, :target, CAST(:detail AS jsonb), :ip, :method, :path)
