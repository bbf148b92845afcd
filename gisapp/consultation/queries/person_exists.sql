SELECT 1 FROM person WHERE id = :id
