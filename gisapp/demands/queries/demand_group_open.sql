-- The other open demands of a group, oldest first.
SELECT id FROM demand
WHERE group_id = :group AND id <> :id AND state = 'open'
ORDER BY created_at, id
FOR UPDATE
