UPDATE topic_task SET case_id = :case_id WHERE id = :task_id
