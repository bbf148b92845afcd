SELECT case_category FROM demand_category WHERE key = :key
