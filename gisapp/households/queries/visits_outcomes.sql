SELECT key, name_zh, completes, suggests_case, suggests_demand FROM visit_outcome
ORDER BY completes DESC, key
