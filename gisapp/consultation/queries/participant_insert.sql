INSERT INTO topic_participant (topic_id, kind, name) VALUES (:topic_id, :kind, :name)
