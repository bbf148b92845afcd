SELECT key, name_zh, completes, suggests_case FROM visit_outcome ORDER BY completes DESC, key
