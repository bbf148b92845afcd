INSERT INTO topic_step (topic_id, step, action, at, actor_user_id, actor_name, note)
VALUES (:topic_id, :step, :action, :at, :user_id, :actor_name, :note)
RETURNING id
