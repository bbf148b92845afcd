SELECT key, name_zh, kind, limit_hours, routing, department, public FROM case_category WHERE (:p = false OR public) ORDER BY kind, key
