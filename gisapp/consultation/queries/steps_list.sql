-- The log of a topic with each step's attachments.
SELECT s.id, s.step, s.action, s.at, s.actor_name, s.note,
       coalesce(json_agg(json_build_object('id', f.id, 'filename', f.filename,
                                           'content_type', f.content_type, 'bytes', f.bytes)
                         ORDER BY f.id) FILTER (WHERE f.id IS NOT NULL), '[]') AS attachments
FROM topic_step s
LEFT JOIN topic_attachment f ON f.step_id = s.id
WHERE s.topic_id = :topic_id
GROUP BY s.id
ORDER BY s.id
