SELECT receipt FROM demand WHERE visit_id = :id ORDER BY id
