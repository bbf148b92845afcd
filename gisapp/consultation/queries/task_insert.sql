INSERT INTO topic_task (topic_id, title, owner_person_id, owner_name, deadline_at)
VALUES (:topic_id, :title, :owner_person_id, :owner_name, :deadline_at)
RETURNING id
