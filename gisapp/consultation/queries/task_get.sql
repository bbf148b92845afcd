SELECT id, topic_id, title, done_at, case_id FROM topic_task
WHERE id = :task_id AND topic_id = :topic_id
FOR UPDATE
