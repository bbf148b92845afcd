INSERT INTO topic_attachment (topic_id, step_id, sha256, content_type, filename, bytes)
VALUES (:topic_id, :step_id, :sha256, :content_type, :filename, :bytes)
