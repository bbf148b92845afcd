SELECT kind FROM case_category WHERE key = :category
