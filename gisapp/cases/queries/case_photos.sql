-- The photos of a case, oldest first.
SELECT id, content_type, bytes, event_id FROM case_photo
WHERE case_id = :c ORDER BY id
