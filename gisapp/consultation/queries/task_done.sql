UPDATE topic_task SET done_at = now() WHERE id = :task_id AND done_at IS NULL
