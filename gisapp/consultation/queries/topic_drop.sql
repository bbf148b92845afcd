UPDATE topic SET state = 'dropped', drop_reason = :reason, version = version + 1
WHERE id = :id AND state = 'open'
