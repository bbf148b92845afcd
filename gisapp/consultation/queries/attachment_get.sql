SELECT f.sha256, f.content_type, f.filename, s.step
FROM topic_attachment f JOIN topic_step s ON s.id = f.step_id
WHERE f.id = :id AND f.topic_id = :topic_id
